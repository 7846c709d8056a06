/**
 * The consensus genesis block of a shard (height 0, round 0): every
 * validator derives the same block, hence the same id, from genesis.json.
 * Its payload is an empty shard payload whose header carries the shard's
 * genesis state root, so the committed tip always names its state root.
 */
import type { Block, ConsensusDomain } from '../../consensus/types.js';
import { makeGenesisBlock } from '../../consensus/engine.js';
import type { Genesis } from '../../genesis/types.js';
import { genesisStateWrites } from '../../shards/genesis-state.js';
import {
  ZERO_BEACON_REF,
  encodeShardPayload,
  payloadDigest,
  transactionsRoot,
} from '../../shards/payload.js';
import { receiptsRoot } from '../../shards/receipt.js';
import type { StateWrites } from '../../shards/state.js';

/** Genesis starts epoch 0 of every committee. */
export const GENESIS_EPOCH = 0;

export interface ShardGenesis {
  readonly domain: ConsensusDomain;
  readonly block: Block;
  /** The genesis state (accounts funded by genesis.json for this shard). */
  readonly state: StateWrites;
}

export function shardGenesis(g: Genesis, shardId: number): ShardGenesis {
  const state = genesisStateWrites(g, shardId);
  const payload = encodeShardPayload({
    header: {
      chainId: g.chainId,
      shardId,
      txCount: 0,
      txRoot: transactionsRoot([]),
      stateRoot: state.root,
      receiptsRoot: receiptsRoot([]),
      outboxRoots: [],
      inboxCursors: [],
      beaconRef: ZERO_BEACON_REF,
    },
    transactions: [],
  });
  const domain: ConsensusDomain = { chainId: g.chainId, committeeId: shardId, epoch: GENESIS_EPOCH };
  return {
    domain,
    block: makeGenesisBlock(domain, payload, payloadDigest(payload), g.genesisTime, 0),
    state,
  };
}
