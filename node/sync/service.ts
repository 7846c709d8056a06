/**
 * Catching up (DESIGN.md, The node: sync). A node that is behind, or that
 * restarted, asks its peers for committed blocks by height, verifies them
 * (sync/verify.ts: hash links to its tip, payload digests, commit
 * certificates checked against the committee), executes and commits them
 * through the chain, then moves the engine's root there (advanceRoot), and
 * repeats until no peer is ahead. No operator action is needed.
 *
 * When it runs:
 * - at start (a restarted node resumes from its database, then asks);
 * - when the engine reports a gap beyond its own fetching ('syncNeeded');
 * - when a verified proposal or timeout carries a commit certificate more
 *   than `lagThreshold` blocks above our tip (noteCommitted);
 * - every `checkIntervalMs` when nothing was committed meanwhile (a node
 *   whose peers went quiet, or that missed every message).
 *
 * While it runs, the engine's own block fetching is refused (the transport
 * asks `syncing`), so the two never execute the same heights at once; the
 * chain's lock orders their state changes anyway.
 */
import type { Block, QuorumCert, ValidatorIndex } from '../../consensus/types.js';
import type { VerifyContext } from '../../consensus/verify.js';
import type { Chain } from '../chain/chain.js';
import type { Counter, Gauge, MetricsRegistry } from '../metrics/registry.js';
import { nullLogger, type Logger } from '../logger.js';
import { SyncError } from './errors.js';
import { decodeSyncResponse, encodeSyncRequest, MAX_SYNC_BLOCKS } from './messages.js';
import { verifyCommittedResponse, type VerifiedSegment } from './verify.js';

export interface SyncOptions {
  /** Blocks asked per request (the server may extend to the next certificate or cut at its byte budget). */
  readonly batchBlocks: number;
  /** A commit certificate this many blocks above our tip starts a sync (below it the engine fetches the gap itself). */
  readonly lagThreshold: number;
  /** Period of the "nothing committed lately" check. */
  readonly checkIntervalMs: number;
  /** Timeout of one sync request. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = {
  batchBlocks: 64,
  // The engine fetches up to 64 blocks per request itself; a larger gap is cheaper forward, by height.
  lagThreshold: 32,
  checkIntervalMs: 3000,
  requestTimeoutMs: 10_000,
};

export interface SyncDeps {
  readonly chain: Chain;
  /** Verification context of the committee (domain, validators, scheme, genesis QC). */
  readonly verify: VerifyContext;
  /** The engine's root jump after blocks were committed here. */
  readonly advanceRoot: (block: Block, commitQc: QuorumCert) => Promise<void>;
  /** Committee members we are connected to (never ourselves), in any order. */
  readonly peers: () => ValidatorIndex[];
  /** Sends a sync request to a validator and resolves to the response bytes. */
  readonly request: (peer: ValidatorIndex, data: Uint8Array, timeoutMs: number) => Promise<Uint8Array>;
  /** Scores a peer down for a response no honest node sends. */
  readonly penalize: (peer: ValidatorIndex, why: string) => void;
  readonly logger?: Logger | null;
  readonly metrics?: MetricsRegistry | null;
}

interface SyncMetrics {
  readonly blocks: Counter;
  readonly requests: Counter<'result'>;
  readonly active: Gauge;
  readonly runs: Counter<'reason'>;
}

export class SyncService {
  readonly options: SyncOptions;
  private readonly log: Logger;
  private readonly metrics: SyncMetrics | null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private lastCheckedHeight = -1;
  private rotation = 0;
  /** Highest committed height a verified certificate proved (status output). */
  private bestKnown = 0;

  constructor(
    private readonly deps: SyncDeps,
    options: Partial<SyncOptions> = {},
  ) {
    this.options = {
      ...DEFAULT_SYNC_OPTIONS,
      ...options,
      batchBlocks: Math.min(MAX_SYNC_BLOCKS, options.batchBlocks ?? DEFAULT_SYNC_OPTIONS.batchBlocks),
    };
    this.log = (deps.logger ?? nullLogger()).child('sync');
    const m = deps.metrics;
    this.metrics = m
      ? {
          blocks: m.counter({
            name: 'hotshard_sync_blocks_total',
            help: 'Committed blocks fetched from peers, verified and committed by sync',
          }),
          requests: m.counter({
            name: 'hotshard_sync_requests_total',
            help: 'Sync requests sent, by result',
            labelNames: ['result'],
          }),
          active: m.gauge({
            name: 'hotshard_sync_active',
            help: '1 while the node is catching up from its peers',
          }),
          runs: m.counter({
            name: 'hotshard_sync_runs_total',
            help: 'Sync runs started, by reason',
            labelNames: ['reason'],
          }),
        }
      : null;
  }

  /** True while catching up. */
  get syncing(): boolean {
    return this.running !== null;
  }

  /** The highest committed height a verified commit certificate proved (ours included). */
  get highestKnownHeight(): number {
    return Math.max(this.bestKnown, this.deps.chain.tip.height);
  }

  /** Syncs once now, then checks every checkIntervalMs. */
  start(): void {
    if (this.stopped || this.timer !== null) return;
    this.trigger('start');
    this.timer = setInterval(() => this.check(), this.options.checkIntervalMs);
    this.timer.unref();
  }

  /** Stops checking; a run in progress ends after its current request. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** A verified certificate commits `height`: sync when it is far above our tip. */
  noteCommitted(height: number): void {
    if (height > this.bestKnown) this.bestKnown = height;
    if (height > this.deps.chain.tip.height + this.options.lagThreshold) this.trigger('behind');
  }

  /** Starts a run unless one is going (then it runs once more after it). */
  trigger(reason: string): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.metrics?.runs.inc({ reason });
    this.metrics?.active.set(undefined, 1);
    this.running = this.run(reason).finally(() => {
      this.running = null;
      this.metrics?.active.set(undefined, 0);
      if (this.again && !this.stopped) {
        this.again = false;
        this.trigger('again');
      }
    });
  }

  /** Nothing committed since the last check: ask the peers whether we are behind. */
  private check(): void {
    const h = this.deps.chain.tip.height;
    if (h === this.lastCheckedHeight) this.trigger('idle');
    this.lastCheckedHeight = h;
  }

  private async run(reason: string): Promise<void> {
    const startHeight = this.deps.chain.tip.height;
    let synced = 0;
    try {
      for (;;) {
        if (this.stopped) break;
        const n = await this.step();
        if (n === 0) break;
        synced += n;
      }
    } catch (err) {
      this.log.error('sync stopped', { err, reason });
    }
    if (synced > 0) {
      this.log.info('synced', { reason, from: startHeight, to: this.deps.chain.tip.height, blocks: synced });
    }
  }

  /**
   * One request to the first peer (in rotation) that has blocks above our
   * tip; verifies, executes and commits what it proves. Returns the number
   * of blocks committed (0: nobody is ahead, or nobody answered usefully).
   */
  private async step(): Promise<number> {
    const peers = this.deps.peers();
    if (peers.length === 0) return 0;
    const start = this.rotation++ % peers.length;
    for (let k = 0; k < peers.length; k++) {
      if (this.stopped) return 0;
      const peer = peers[(start + k) % peers.length]!;
      const tip = this.deps.chain.tip;
      let segments: VerifiedSegment[];
      try {
        const bytes = await this.deps.request(
          peer,
          encodeSyncRequest({
            type: 'committed',
            value: { from: tip.height + 1, count: this.options.batchBlocks },
          }),
          this.options.requestTimeoutMs,
        );
        const resp = decodeSyncResponse(bytes);
        if (resp.type !== 'committed')
          throw new SyncError('MALFORMED', `a committed request was answered with ${resp.type}`);
        segments = verifyCommittedResponse(this.deps.verify, tip, resp.value, (p) =>
          this.deps.chain.payloadDigest(p),
        );
      } catch (err) {
        if (err instanceof SyncError) {
          this.metrics?.requests.inc({ result: 'invalid' });
          this.log.warn('invalid sync response', { peer, err });
          this.deps.penalize(peer, err.code);
        } else {
          this.metrics?.requests.inc({ result: 'failed' });
          this.log.debug('sync request failed', { peer, err });
        }
        continue;
      }
      // Only what a verified certificate proves counts (the response's own `tip` is a claim).
      const proven =
        segments.length === 0 ? 0 : segments[segments.length - 1]!.commitQc.voteData.commit!.height;
      if (proven > this.bestKnown) this.bestKnown = proven;
      if (segments.length === 0) {
        this.metrics?.requests.inc({ result: 'empty' });
        continue;
      }
      const { committed, error } = await this.apply(segments);
      if (error !== null) {
        // A payload that does not execute under a header the committee certified was altered by the
        // peer (the header commits to the transactions root): score it down and ask another.
        this.metrics?.requests.inc({ result: 'invalid' });
        this.log.warn('synced block failed execution', { peer, err: error });
        this.deps.penalize(peer, error.code);
        if (committed === 0) continue;
      } else this.metrics?.requests.inc({ result: 'ok' });
      return committed;
    }
    return 0;
  }

  /**
   * Executes and commits verified segments in order, then moves the engine's
   * root to the last one committed. Stops at the first block that fails
   * execution (nothing of its segment is committed).
   */
  private async apply(
    segments: readonly VerifiedSegment[],
  ): Promise<{ committed: number; error: SyncError | null }> {
    const chain = this.deps.chain;
    let n = 0;
    let last: VerifiedSegment | null = null;
    let error: SyncError | null = null;
    outer: for (const seg of segments) {
      for (const b of seg.blocks) {
        const verdict = await chain.execute(b);
        if (!verdict.ok) {
          error = new SyncError(
            'EXECUTION_FAILED',
            `certified block at height ${b.height} fails execution: ${verdict.reason}`,
            { height: b.height },
          );
          break outer;
        }
      }
      await chain.commit(seg.blocks, seg.commitQc);
      await chain.flushed(); // the tip (read by the next request) shows this segment
      n += seg.blocks.length;
      last = seg;
    }
    this.metrics?.blocks.inc(undefined, n);
    if (last !== null) {
      const block = last.blocks[last.blocks.length - 1]!;
      try {
        await this.deps.advanceRoot(block, last.commitQc);
      } catch (err) {
        this.log.warn('the engine did not take the synced root', { height: block.height, err });
      }
    }
    return { committed: n, error };
  }
}
