/**
 * Fixtures of the chain, sync and validator tests: deterministic validator
 * and user keys, a one-shard genesis, transfers, and blocks certified by real
 * ed25519 votes of the committee (the same bytes the engine signs).
 */
import { createHash } from 'node:crypto';
import { addressFromPublicKey } from '../../../core/address.js';
import { keyPairFromSeed, type Ed25519KeyPair } from '../../../core/ed25519.js';
import { BLOCK_VERSION, blockId, blockInfo } from '../../../consensus/messages.js';
import { ed25519Scheme, voteSigningBytes } from '../../../consensus/signing.js';
import { ValidatorSet } from '../../../consensus/committee.js';
import type { Block, ConsensusDomain, QuorumCert, VoteData } from '../../../consensus/types.js';
import { createGenesis } from '../../../genesis/create.js';
import { validatorKeysFromSecrets, type ValidatorKeys } from '../../../genesis/keyfile.js';
import { NATIVE_ASSET_ID } from '../../../genesis/asset-id.js';
import type { Genesis } from '../../../genesis/types.js';
import { TxKind, signTransaction, type SignedTransaction } from '../../../shards/transaction.js';
import { Chain } from '../../../node/chain/chain.js';
import { ChainStore, MemoryDisk, NodeDatabase } from '../../../node/storage/index.js';
import { CachedTxVerifier, MainThreadVerifier } from '../../../node/verify/index.js';
import { createShardMempool, accountReaderOf, type Mempool } from '../../../node/mempool/index.js';

export const CHAIN_ID = 777;
export const SHARD = 0;
export const GENESIS_TIME = 1_700_000_000_000;
export const INITIAL = 1_000_000_000n;
export const FEE = 1_000n;

const seedOf = (label: string): Uint8Array => new Uint8Array(createHash('sha256').update(label).digest());

export interface User extends Ed25519KeyPair {
  readonly address: Uint8Array;
}

export function user(label: string): User {
  const kp = keyPairFromSeed(seedOf(label));
  return { ...kp, address: addressFromPublicKey(kp.publicKey) };
}

export const VALIDATORS: readonly ValidatorKeys[] = Array.from({ length: 4 }, (_, i) =>
  validatorKeysFromSecrets(seedOf(`chain-test-validator-ed-${i}`), seedOf(`chain-test-validator-secp-${i}`)),
);
export const USERS: readonly User[] = Array.from({ length: 6 }, (_, i) => user(`chain-test-user-${i}`));

/** A one-shard genesis: 4 validators, every user funded with INITIAL native tokens. */
export function testGenesis(opts: { genesisTime?: number; baseRoundTimeoutMs?: number } = {}): Genesis {
  return createGenesis({
    chainId: CHAIN_ID,
    ethereumChainId: 31337,
    shardCount: 1,
    validators: VALIDATORS.map((v) => ({
      publicKey: v.ed25519.publicKey,
      ethAddress: v.secp256k1.ethAddress,
    })),
    genesisTime: opts.genesisTime ?? GENESIS_TIME,
    funds: USERS.map((u) => ({ address: u.address, amount: INITIAL })),
    ...(opts.baseRoundTimeoutMs !== undefined
      ? { consensus: { baseRoundTimeoutMs: opts.baseRoundTimeoutMs } }
      : {}),
  });
}

export function transfer(
  from: User,
  nonce: bigint,
  to: Uint8Array,
  amount: bigint,
  expiry = Number.MAX_SAFE_INTEGER,
): SignedTransaction {
  return signTransaction(
    {
      chainId: CHAIN_ID,
      shardId: SHARD,
      kind: TxKind.transfer,
      senderPublicKey: from.publicKey,
      nonce,
      fee: FEE,
      expiry,
      recipient: to,
      asset: NATIVE_ASSET_ID,
      amount,
    },
    from.seed,
    { fast: true },
  );
}

export function validatorSet(): ValidatorSet {
  return new ValidatorSet(VALIDATORS.map((v) => ({ publicKey: v.ed25519.publicKey, stake: 1_000_000n })));
}

/** A QC over `block` (its parent's info taken from `parent`) signed by `signers` (default: all four). */
export function certify(
  domain: ConsensusDomain,
  block: Block,
  parent: Block,
  signers: readonly number[] = [0, 1, 2, 3],
): QuorumCert {
  const b = blockInfo(block);
  const p = blockInfo(parent);
  const voteData: VoteData = { block: b, parent: p, commit: block.round === parent.round + 1 ? p : null };
  const msg = voteSigningBytes(domain, voteData);
  const set = validatorSet();
  const sorted = [...signers].sort((x, y) => x - y);
  return {
    voteData,
    signers: set.makeBitmap(sorted),
    signatures: sorted.map((i) => ed25519Scheme.sign(msg, VALIDATORS[i]!.ed25519.seed)),
  };
}

/** A block on `parent` with `payload`, carrying `qc` (the parent's certificate). */
export function makeBlock(
  chain: Chain,
  parent: Block,
  qc: QuorumCert,
  payload: Uint8Array,
  round: number,
  timestamp: number,
): Block {
  return {
    version: BLOCK_VERSION,
    chainId: chain.domain.chainId,
    committeeId: chain.domain.committeeId,
    epoch: chain.domain.epoch,
    round,
    height: parent.height + 1,
    parentId: blockId(parent),
    proposer: round % 4,
    timestamp,
    payloadDigest: chain.payloadDigest(payload),
    payload,
    qc,
    tc: null,
  };
}

export interface OpenedChain {
  readonly chain: Chain;
  readonly store: ChainStore;
  readonly db: NodeDatabase;
  readonly mempool: Mempool<SignedTransaction>;
  close(): Promise<void>;
}

/** Opens a chain (with its mempool) on a memory disk; `disk.open()` again after close() is a restart. */
export async function openChain(disk: MemoryDisk, genesis: Genesis): Promise<OpenedChain> {
  const db = new NodeDatabase(disk.open());
  const store = new ChainStore(db, SHARD);
  const verifier = new CachedTxVerifier(new MainThreadVerifier());
  let chain: Chain;
  try {
    chain = await Chain.open({ store, genesis, shardId: SHARD, verifier });
  } catch (err) {
    await verifier.close();
    await db.close(); // a refused open leaves the disk free to be opened again
    throw err;
  }
  const p = chain.params;
  const mempool = createShardMempool(
    { chainId: p.chainId, shardId: p.shardId, shardMap: p.shardMap, fees: p.fees },
    { verifier, state: chain.accounts, now: () => GENESIS_TIME },
  );
  chain.attachMempool(mempool);
  return {
    chain,
    store,
    db,
    mempool,
    close: async () => {
      await chain.close();
      await verifier.close();
      await db.close();
    },
  };
}

/** The committed native balance of `address`. */
export function balanceOf(chain: Chain, address: Uint8Array): bigint {
  return accountReaderOf(chain.committedView()).getBalance(address, NATIVE_ASSET_ID);
}
