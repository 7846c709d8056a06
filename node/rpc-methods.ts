/**
 * The hs_* methods of a validator (.team/NODE-CONTRACT.md, docs/rpc.md
 * "Methods") over the RPC framework of node/rpc. Amounts are decimal
 * strings and bytes 0x-hex on the wire (node/rpc/json.ts converts).
 *
 * Submissions arriving at the same time are admitted together: one mempool
 * batch, so their signatures are verified in one call of the worker pool
 * instead of one round trip each.
 */
import type { EngineStatus } from '../consensus/engine.js';
import { blockId } from '../consensus/messages.js';
import { accountStateKey, decodeAccount } from '../shards/account.js';
import { decodeShardPayload } from '../shards/payload.js';
import { RECEIPT_STATUS_NAMES, ReceiptStatus, decodeReceipt } from '../shards/receipt.js';
import { SparseMerkleTree } from '../shards/smt/tree.js';
import { encodeSmtProof } from '../shards/smt/proof.js';
import type { Block, CommitteeMember, QuorumCert } from '../consensus/types.js';
import type { Chain } from './chain/chain.js';
import type { ChainStore } from './storage/chain-store.js';
import type { Mempool } from './mempool/mempool.js';
import type { AdmitResult } from './mempool/types.js';
import type { SignedTransaction } from '../shards/transaction.js';
import { MAX_TX_BYTES } from './mempool/options.js';
import { p, params } from './rpc/params.js';
import type { RpcRegistry } from './rpc/registry.js';
import type { HeightWaiters } from './rpc/index.js';

export interface NodeRpcDeps {
  readonly chain: Chain;
  readonly store: ChainStore;
  readonly mempool: Mempool<SignedTransaction>;
  /** Called with each newly admitted transaction (the gossip batcher). */
  readonly onAdmitted: (tx: Uint8Array) => void;
  readonly committee: readonly CommitteeMember[];
  readonly self: number;
  readonly engineStatus: () => EngineStatus | null;
  /** The highest height known: certified blocks of the engine, committed heights peers reported to sync. */
  readonly highestKnownHeight: () => number;
  readonly peerCount: () => number;
  readonly syncing: () => boolean;
  /** Waits on the committed height (hs_waitForBlock); released here at every commit, closed by the validator. */
  readonly heightWaiters: HeightWaiters;
}

/** Committed blocks answered from memory (hs_getBlockByHeight, hs_waitForBlock). */
const RECENT_BLOCKS = 8;

/** hs_waitForBlock's wait when the call names none, and the longest it accepts (under the server's 30 s request timeout). */
const DEFAULT_BLOCK_WAIT_MS = 5_000;
const MAX_BLOCK_WAIT_MS = 25_000;

/** Most submissions admitted in one mempool batch (one verification call). */
const MAX_SUBMISSION_BATCH = 512;

/**
 * Collects the submissions of one event-loop turn and admits them as one
 * batch; each caller gets its own result.
 */
class SubmissionBatcher {
  private queue: { bytes: Uint8Array; resolve: (r: AdmitResult) => void; reject: (e: unknown) => void }[] =
    [];
  private scheduled = false;

  constructor(private readonly mempool: Mempool<SignedTransaction>) {}

  submit(bytes: Uint8Array): Promise<AdmitResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      if (this.queue.length >= MAX_SUBMISSION_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.mempool.addBatch(batch.map((b) => b.bytes)).then(
      (results) => batch.forEach((b, i) => b.resolve(results[i]!)),
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  }
}

function qcJson(qc: QuorumCert): unknown {
  return { voteData: qc.voteData, signers: qc.signers, signatures: qc.signatures };
}

/** The JSON view of a committed block (hs_getBlockBy*). */
export function blockView(block: Block, commitQc: QuorumCert | null): Record<string, unknown> {
  const { header, transactions } = decodeShardPayload(block.payload);
  return {
    id: blockId(block),
    height: block.height,
    round: block.round,
    epoch: block.epoch,
    parentId: block.parentId,
    proposer: block.proposer,
    timestamp: block.timestamp,
    stateRoot: header.stateRoot,
    txRoot: header.txRoot,
    receiptsRoot: header.receiptsRoot,
    transactions: transactions.map((t) => t.hash),
    ...(commitQc !== null ? { commitQc: qcJson(commitQc) } : {}),
  };
}

export function registerNodeMethods(registry: RpcRegistry, deps: NodeRpcDeps): void {
  const { chain, store, mempool } = deps;
  const submissions = new SubmissionBatcher(mempool);
  // The last committed blocks, as the store holds them (the commit certificate at the last block of
  // each commit): a client following the head (hs_waitForBlock) reads them without a database read.
  const recent = new Map<number, { block: Block; commitQc: QuorumCert | null }>();
  chain.onCommit((results, commitQc) => {
    results.forEach((r, i) =>
      recent.set(r.block.height, { block: r.block, commitQc: i === results.length - 1 ? commitQc : null }),
    );
    for (const height of recent.keys()) {
      if (recent.size <= RECENT_BLOCKS) break;
      recent.delete(height); // commits arrive in height order: the first keys are the oldest
    }
    deps.heightWaiters.notify();
  });
  const committedBlockAt = async (height: number): Promise<Record<string, unknown> | null> => {
    const kept = recent.get(height);
    if (kept !== undefined) return blockView(kept.block, kept.commitQc);
    const block = await store.blockAtHeight(height);
    if (block === null) return null;
    return blockView(block, await store.commitCerts.get(height));
  };

  registry.register('hs_sendTransaction', {
    params: params(p.hex({ max: MAX_TX_BYTES })),
    rateLimited: true,
    description:
      'Admits a signed transaction (0x-hex of its canonical bytes) to the mempool and gossips it; returns its hash. Errors carry the MempoolError code in data.code.',
    handler: async ([bytes]) => {
      const r = await submissions.submit(bytes);
      if (!r.ok) throw r.error;
      deps.onAdmitted(bytes);
      return { hash: r.hash };
    },
  });

  registry.register('hs_getAccount', {
    params: params(p.hex({ length: 20 }), p.optional(p.object({ proof: p.optional(p.bool()) }))),
    description:
      'The committed account: nonce and balances per asset, at the committed height and state root; with {proof: true} its Merkle proof against that root.',
    handler: ([address, opts]) => {
      // Read the view and the tip in the same synchronous step: they describe the same commit.
      const view = chain.committedView();
      const tip = chain.tip;
      const key = accountStateKey(address);
      const bytes = view.getValue(key);
      const account = bytes === undefined ? null : decodeAccount(bytes);
      const balances: Record<string, bigint> = {};
      if (account !== null) for (const [asset, amount] of account.balances) balances['0x' + asset] = amount;
      return {
        address,
        shard: chain.params.shardMap.shardOf(address),
        nonce: account?.nonce ?? 0n,
        balances,
        height: tip.height,
        stateRoot: view.root,
        ...(opts?.proof === true
          ? { proof: encodeSmtProof(new SparseMerkleTree(view).prove(view.root, key)) }
          : {}),
      };
    },
  });

  registry.register('hs_getBlockByHeight', {
    params: params(p.uint()),
    description:
      'The committed block at a height (null above the committed height), with its commit certificate when one is stored at that height.',
    handler: ([height]) => committedBlockAt(height),
  });

  registry.register('hs_waitForBlock', {
    params: params(p.uint(), p.optional(p.uint({ max: MAX_BLOCK_WAIT_MS }))),
    description: `The committed block at a height as soon as it is committed (at once when it is), or null when timeoutMs (default ${DEFAULT_BLOCK_WAIT_MS}, at most ${MAX_BLOCK_WAIT_MS}) passes first.`,
    handler: async ([height, timeoutMs]) => {
      const reached = await deps.heightWaiters.wait(height, timeoutMs ?? DEFAULT_BLOCK_WAIT_MS);
      return reached ? committedBlockAt(height) : null;
    },
  });

  registry.register('hs_getBlockByHash', {
    params: params(p.hex({ length: 32 })),
    description: 'The committed block with this id, or null.',
    handler: async ([id]) => {
      const block = await store.blocks.get(id);
      if (block === null) return null;
      return blockView(block, await store.commitCerts.get(block.height));
    },
  });

  registry.register('hs_getReceipt', {
    params: params(p.hex({ length: 32 })),
    description:
      'The receipt of a committed transaction (status "success" or "failed" with the reason in error), or null.',
    handler: async ([txHash]) => {
      const [bytes, loc] = await Promise.all([store.receipts.get(txHash), store.txLocations.get(txHash)]);
      if (bytes === null || loc === null) return null;
      const r = decodeReceipt(bytes);
      const id = await store.blockIdByHeight.get(loc.height);
      return {
        txHash,
        status: r.status === ReceiptStatus.SUCCESS ? 'success' : 'failed',
        height: loc.height,
        blockId: id,
        index: loc.index,
        fee: r.feeCharged,
        ...(r.status !== ReceiptStatus.SUCCESS
          ? { error: RECEIPT_STATUS_NAMES[r.status] ?? `STATUS_${r.status}` }
          : {}),
      };
    },
  });

  registry.register('hs_status', {
    params: params(),
    description:
      "This validator's view: chain, shard, committee, round, heights, peers, sync state, mempool size, genesis hash.",
    handler: () => {
      const s = deps.engineStatus();
      const tip = chain.tip;
      return {
        chainId: chain.params.chainId,
        shard: chain.shardId,
        committee: deps.committee.map((m) => ({ publicKey: m.publicKey, stake: m.stake })),
        self: deps.self,
        selfPublicKey: deps.committee[deps.self]?.publicKey ?? null,
        round: s?.round ?? 0,
        height: Math.max(tip.height, deps.highestKnownHeight()),
        committedHeight: tip.height,
        lastCommittedId: tip.id,
        stateRoot: tip.header.stateRoot,
        peers: deps.peerCount(),
        syncing: deps.syncing(),
        mempoolSize: mempool.size,
        genesisHash: chain.genesisHash,
      };
    },
  });
}
