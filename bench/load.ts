/**
 * The load generator: drives signed transfers at an offered rate or at
 * saturation, and measures what the network commits.
 *
 * - Transactions are signed BEFORE the clock starts (node:crypto signing, the
 *   same bytes as noble's): on a small machine every core the generator uses
 *   is taken from the validators it measures.
 * - Each sender always goes to the same validator, so that its nonces reach a
 *   mempool in order; submissions travel as JSON-RPC batches.
 * - Commits are observed on one validator, which answers a waiting request
 *   (hs_waitForBlock) as soon as the next block is committed (one request
 *   per block rather than one receipt request per transaction, and no
 *   polling delay); the latency of a transaction is the time from its
 *   submission to the moment its block is seen committed. Receipts of a
 *   sample are then read to check that the transfers succeeded.
 */
import { toHex } from '../core/bytes.js';
import type { HotshardClient } from '../node/client/client.js';
import { RpcError } from '../node/client/errors.js';
import { buildTransfer } from '../node/client/transfer.js';
import type { BenchAccount } from './accounts.js';
import { percentile, round } from './stats.js';

/** JSON-RPC error code of a submission over the node's per-client rate (node/rpc/errors.ts). */
const RATE_LIMITED = -32005;
/** Blocks the commit observer asks for in one JSON-RPC batch (the node answers at most 100 calls in one). */
const OBSERVER_BLOCKS_PER_REQUEST = 16;
/** How long one observer request waits for the next commit: the phase ends at most this late. */
const OBSERVER_WAIT_MS = 500;
/** Unanswered submission requests to one validator at most: its client's sockets, so none waits for one. */
const REQUESTS_PER_VALIDATOR = 8;

export interface LoadTarget {
  readonly chainId: number;
  readonly shardId: number;
  readonly fee: bigint;
  /** Where transactions are submitted (senders are spread over them). */
  readonly submitTo: readonly HotshardClient[];
  /** The validator whose committed blocks define "committed". */
  readonly observer: HotshardClient;
}

export interface PhaseOptions {
  readonly name: string;
  /** Offered transactions per second; undefined drives at saturation. */
  readonly rate?: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** After the window: how long to wait for the stragglers' commits. */
  readonly drainMs: number;
  /** Saturation: at most this many submitted but uncommitted transactions. */
  readonly maxPending: number;
  /** Transactions per JSON-RPC batch. */
  readonly batchSize: number;
  /** Signed in advance; the phase stops early if it runs out (reported). */
  readonly presign: number;
  /** Receipts read afterwards to check the transfers' status. */
  readonly receiptSample: number;
}

export interface PhaseResult {
  readonly name: string;
  readonly mode: 'rate' | 'saturation';
  readonly offeredRate: number | null;
  /** Submissions per second actually sent during the window. */
  readonly submittedRate: number;
  readonly windowSeconds: number;
  /** Transactions committed within the window, per second. */
  readonly tps: number;
  readonly submitted: number;
  readonly committed: number;
  /** Every transaction of this phase seen committed, window or not. */
  readonly committedTotal: number;
  readonly rejected: number;
  readonly rejectedBy: Readonly<Record<string, number>>;
  /** Submissions the node refused for its per-client rate limit, sent again. */
  readonly rateLimited: number;
  /** Submitted in the window, still not committed after the drain. */
  readonly uncommitted: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /**
   * The latency split at the block's timestamp (set by its leader when it
   * proposed): submission to proposal (gossip, admission, the wait for a
   * proposal), then proposal to the commit seen (the rounds to commit, its
   * write, the observer's answer). Medians of the transfers measured.
   */
  readonly p50ToProposalMs: number;
  readonly p50ProposalToCommitMs: number;
  readonly blocks: number;
  readonly receiptsChecked: number;
  readonly receiptsNotSuccess: number;
  readonly ranOutOfSignedTxs: boolean;
  /** CPU seconds the load generator itself used during the phase (it shares the machine). */
  readonly generatorCpuSeconds: number;
}

interface Prepared {
  readonly sender: number;
  readonly nonce: bigint;
  readonly hex: string;
  readonly hash: string;
}

interface Inflight {
  readonly submittedAt: number;
  readonly inWindow: boolean;
  readonly sender: number;
  readonly nonce: bigint;
}

/** Per-sender next nonce, advanced as transactions are signed. */
export class SenderBook {
  readonly next: bigint[];
  constructor(
    readonly accounts: readonly BenchAccount[],
    nonces: readonly bigint[],
  ) {
    this.next = [...nonces];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Signs `count` transfers round-robin over the senders (each to the next sender), continuing their nonces. */
export function presign(
  book: SenderBook,
  target: Pick<LoadTarget, 'chainId' | 'shardId' | 'fee'>,
  count: number,
  expiry: number,
): Prepared[] {
  const n = book.accounts.length;
  const out: Prepared[] = new Array(count);
  for (let k = 0; k < count; k++) {
    const s = k % n;
    const nonce = book.next[s]!;
    book.next[s] = nonce + 1n;
    const stx = buildTransfer(
      {
        chainId: target.chainId,
        shardId: target.shardId,
        sender: book.accounts[s]!.keys,
        nonce,
        to: book.accounts[(s + 1) % n]!.address,
        amount: 1n,
        fee: target.fee,
        expiry,
      },
      { fast: true },
    );
    out[k] = { sender: s, nonce, hex: '0x' + toHex(stx.bytes), hash: '0x' + toHex(stx.hash) };
  }
  return out;
}

/** Runs one phase of load and returns its figures. `prepared` is consumed from the front. */
export async function runPhase(
  target: LoadTarget,
  o: PhaseOptions,
  prepared: Prepared[],
  log: (line: string) => void,
): Promise<PhaseResult> {
  const inflight = new Map<string, Inflight>();
  const latencies: number[] = [];
  const toProposal: number[] = [];
  const proposalToCommit: number[] = [];
  const committedInWindow: string[] = [];
  const rejectedBy: Record<string, number> = {};
  const poisoned = new Map<number, bigint>(); // sender -> first nonce that will never commit
  let rejected = 0;
  let submitted = 0;
  let submittedInWindow = 0;
  let committedCount = 0;
  let committedTotal = 0;
  let blocks = 0;
  let cursor = 0;
  let ranOut = false;
  let rateLimited = 0;
  const retry: Prepared[] = [];

  const cpuAtStart = process.cpuUsage();
  const t0 = Date.now();
  const windowStart = t0 + o.warmupMs;
  const windowEnd = windowStart + o.durationMs;
  const clients = target.submitTo;

  // --- commit observer ----------------------------------------------------
  // One request at a time: the node answers hs_waitForBlock as soon as the next block is committed,
  // and the blocks after it (read at once, null when not committed yet) catch an observer up that
  // fell behind. A transfer is seen committed when its block's answer arrives, without a polling delay.
  let observing = true;
  let lastHeight = (await target.observer.status()).committedHeight;
  const observer = (async () => {
    while (observing) {
      try {
        const next = lastHeight + 1;
        const outcomes = await target.observer.batch([
          { method: 'hs_waitForBlock', params: [next, OBSERVER_WAIT_MS] },
          ...Array.from({ length: OBSERVER_BLOCKS_PER_REQUEST - 1 }, (_, i) => ({
            method: 'hs_getBlockByHeight',
            params: [next + 1 + i],
          })),
        ]);
        const seenAt = Date.now();
        if (!outcomes[0]!.ok) throw outcomes[0]!.error; // the node refused the wait: back off below
        for (const oc of outcomes) {
          if (!oc.ok || oc.result === null || typeof oc.result !== 'object') break;
          lastHeight++;
          blocks++;
          const block = oc.result as { transactions?: unknown[]; timestamp?: unknown };
          const proposedAt = typeof block.timestamp === 'number' ? block.timestamp : null;
          for (const txh of block.transactions ?? []) {
            const key = typeof txh === 'string' ? txh.toLowerCase() : '';
            const f = inflight.get(key);
            if (f === undefined) continue;
            inflight.delete(key);
            committedTotal++;
            if (seenAt >= windowStart && seenAt <= windowEnd) committedCount++;
            if (f.inWindow) {
              latencies.push(seenAt - f.submittedAt);
              if (proposedAt !== null) {
                toProposal.push(proposedAt - f.submittedAt);
                proposalToCommit.push(seenAt - proposedAt);
              }
              committedInWindow.push(key);
            }
          }
        }
      } catch (err) {
        if (!(err instanceof RpcError)) throw err;
        await sleep(20); // the observer's node did not answer, or refused the wait: do not spin on it
      }
    }
  })();

  // --- submitter ------------------------------------------------------------
  // Each validator's transfers wait in a queue of its own and leave as one JSON-RPC batch when
  // fewer than REQUESTS_PER_VALIDATOR requests to it are unanswered: a validator that answers
  // slowly gets bigger batches, not a pile of small requests queued for the client's sockets.
  // A transfer's latency counts from the moment it was due, so that wait is measured too.
  const pendingRequests = new Set<Promise<void>>();
  const queues: Prepared[][] = clients.map(() => []);
  const unanswered: number[] = clients.map(() => 0);
  const enqueue = (txs: Prepared[]): void => {
    const at = Date.now();
    const inWindow = at >= windowStart && at < windowEnd;
    for (const p of txs) {
      // A retried transaction keeps its first submission time: its latency includes the wait.
      if (!inflight.has(p.hash)) {
        inflight.set(p.hash, { submittedAt: at, inWindow, sender: p.sender, nonce: p.nonce });
        submitted++;
        if (inWindow) submittedInWindow++;
      }
      queues[p.sender % clients.length]!.push(p);
    }
    flush();
  };
  const flush = (): void => {
    queues.forEach((queue, c) => {
      while (queue.length > 0 && unanswered[c]! < REQUESTS_PER_VALIDATOR)
        submitBatch(c, queue.splice(0, o.batchSize));
    });
  };
  const submitBatch = (c: number, txs: Prepared[]): void => {
    unanswered[c]!++;
    const req = clients[c]!.sendTransactions(txs.map((p) => p.hex))
      .then(
        (results) => {
          results.forEach((r, i) => {
            if (!(r instanceof RpcError)) return;
            if (r.context.rpcCode === RATE_LIMITED) {
              rateLimited++;
              retry.push(txs[i]!); // the node asked us to slow down: send it again, it is still pending
            } else reject(txs[i]!, r.context.dataCode ?? r.code);
          });
        },
        (err: unknown) => {
          for (const p of txs) reject(p, err instanceof RpcError ? err.code : 'ERROR');
        },
      )
      .finally(() => {
        pendingRequests.delete(req);
        unanswered[c]!--;
        flush();
      });
    pendingRequests.add(req);
  };
  const reject = (p: Prepared, code: string): void => {
    if (!inflight.delete(p.hash)) return;
    rejected++;
    rejectedBy[code] = (rejectedBy[code] ?? 0) + 1;
    // Later nonces of this sender can never commit now: stop counting them as pending.
    const prev = poisoned.get(p.sender);
    if (prev === undefined || p.nonce < prev) poisoned.set(p.sender, p.nonce);
  };
  const takeNext = (count: number): Prepared[] => {
    const out: Prepared[] = retry.splice(0, count);
    while (out.length < count && cursor < prepared.length) {
      const p = prepared[cursor++]!;
      const bad = poisoned.get(p.sender);
      if (bad !== undefined && p.nonce > bad) continue;
      out.push(p);
    }
    if (out.length < count) ranOut = true;
    return out;
  };
  const dropPoisonedInflight = (): void => {
    if (poisoned.size === 0) return;
    for (const [h, f] of inflight) {
      const bad = poisoned.get(f.sender);
      if (bad !== undefined && f.nonce > bad) inflight.delete(h);
    }
  };

  let lastLog = t0;
  let sentByRate = 0;
  while (Date.now() < windowEnd && !ranOut) {
    const now = Date.now();
    if (o.rate !== undefined) {
      const due = Math.floor(((now - t0) / 1000) * o.rate) - sentByRate;
      if (due > 0) {
        sentByRate += due;
        enqueue(takeNext(due));
      }
    } else {
      dropPoisonedInflight();
      const room = o.maxPending - inflight.size;
      if (room >= Math.min(o.batchSize, o.maxPending / 4)) enqueue(takeNext(room));
    }
    if (now - lastLog >= 5000) {
      lastLog = now;
      log(
        `  ${o.name}: ${Math.round((now - t0) / 1000)}s submitted ${submitted} rejected ${rejected} pending ${inflight.size} committed-in-window ${committedCount} height ${lastHeight}`,
      );
    }
    await sleep(o.rate !== undefined ? 10 : 5);
  }
  while (pendingRequests.size > 0) await Promise.all(pendingRequests);
  const drainUntil = Date.now() + o.drainMs;
  const waitingFor = (): number => [...inflight.values()].filter((f) => f.inWindow).length;
  while (Date.now() < drainUntil && waitingFor() > 0) {
    dropPoisonedInflight();
    await sleep(50);
  }
  observing = false;
  await observer;

  // Receipts of a sample: the transfers must have succeeded, not only been included.
  const sample = committedInWindow
    .filter((_, i) => i % Math.max(1, Math.floor(committedInWindow.length / o.receiptSample)) === 0)
    .slice(0, o.receiptSample);
  let notSuccess = 0;
  for (let i = 0; i < sample.length; i += 100) {
    const receipts = await target.observer.getReceipts(sample.slice(i, i + 100));
    for (const r of receipts) {
      if (r === null || r instanceof RpcError || !/^(0|success)$/i.test(r.status)) notSuccess++;
    }
  }

  const windowSeconds = o.durationMs / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  return {
    name: o.name,
    mode: o.rate === undefined ? 'saturation' : 'rate',
    offeredRate: o.rate ?? null,
    submittedRate: round(submittedInWindow / windowSeconds),
    windowSeconds,
    tps: round(committedCount / windowSeconds),
    submitted,
    committed: committedCount,
    committedTotal,
    rejected,
    rejectedBy,
    rateLimited,
    uncommitted: waitingFor(),
    p50Ms: round(percentile(latencies, 50)),
    p90Ms: round(percentile(latencies, 90)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(percentile(latencies, 100)),
    p50ToProposalMs: round(percentile(toProposal, 50)),
    p50ProposalToCommitMs: round(percentile(proposalToCommit, 50)),
    blocks,
    receiptsChecked: sample.length,
    receiptsNotSuccess: notSuccess,
    ranOutOfSignedTxs: ranOut,
    generatorCpuSeconds: round((cpu.user + cpu.system) / 1e6, 2),
  };
}
