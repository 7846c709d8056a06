/**
 * The transaction pool of one shard (docs/mempool.md).
 *
 * Admission runs the checks in a fixed order, cheapest first, and verifies
 * signatures last, once per gossip batch, through the cached verifier (so a
 * block holding pooled transactions does not verify them again):
 *
 *   size -> decode (canonical) -> stateless (chain, shard, amounts, fee,
 *   expiry) -> duplicate -> nonce -> balance -> per-sender limit ->
 *   total limit -> signature
 *
 * Invariants between calls: every pooled nonce lies in
 * [committed nonce, committed nonce + maxNonceAhead) of its sender (until the
 * next commit is applied); per sender and asset, the pooled debits never
 * exceed the committed balance; at most maxPerSender per sender and maxTxs in
 * all. Each mutation is one synchronous step, so concurrent admissions and a
 * commit can interleave only between steps.
 */
import { byteKey, toHex } from '../../core/bytes.js';
import type { CachedTxVerifier } from '../verify/cache.js';
import type { Counter, Gauge, MetricsRegistry } from '../metrics/registry.js';
import { MempoolConfigError, MempoolError, type MempoolErrorCode } from './errors.js';
import { Heap } from './heap.js';
import {
  BLOCK_TX_FRAMING_BYTES,
  DEFAULT_MEMPOOL_OPTIONS,
  MAX_BLOCK_TXS,
  MAX_BLOCK_TX_BYTES,
  MAX_TX_BYTES,
  type MempoolOptions,
} from './options.js';
import { SenderQueue, type PoolEntry } from './senderQueue.js';
import { mergedDebits } from './debits.js';
import { AccountSnapshot } from './snapshot.js';
import type {
  AccountReader,
  AdmitResult,
  CommittedTx,
  MergedDebit,
  PoolTx,
  SelectedTx,
  TxDecoder,
} from './types.js';

/** Why a transaction left the pool (metrics label). */
export type RemovalReason =
  'COMMITTED' | 'REPLACED' | 'EVICTED' | 'NONCE_TOO_LOW' | 'EXPIRED' | 'INSUFFICIENT_BALANCE' | 'DROPPED';

export interface MempoolDeps<Tx> {
  /** Decodes signed bytes and applies the stateless rules of shards/ (chain, shard, amounts). */
  readonly decode: TxDecoder<Tx>;
  /** Verifies signatures; shared with block execution so that its cache pays off. */
  readonly verifier: CachedTxVerifier;
  /** The committed state of this shard. */
  readonly state: AccountReader;
  /** Current time in the unit of transaction expiries (ms since the epoch); Date.now by default. */
  readonly now?: () => number;
  readonly metrics?: MetricsRegistry | null;
}

export interface SelectOptions {
  /** Nonce of an account in the state the block builds on (its parent's post-state). */
  readonly nonceOf: (address: Uint8Array) => bigint;
  /**
   * The senders whose nonce in the parent state may differ from the committed
   * state: those of the transactions in the executed, not yet committed
   * blocks between the committed block and the parent. When given, `nonceOf`
   * is asked only about them, and the other senders start at the committed
   * nonce the mempool tracks (exact as long as every commit reaches
   * onBlockCommitted). When absent, `nonceOf` is asked lazily, sender by
   * sender, as the selection reaches them.
   */
  readonly changedSenders?: Iterable<Uint8Array>;
  /** Balance in that state; when given, a sender's selected debits never exceed it. */
  readonly balanceOf?: (address: Uint8Array, asset: Uint8Array) => bigint;
  /** The block's timestamp: transactions whose expiry is before it are left out. */
  readonly now: number;
  /** Defaults: 2,000 transactions and 1 MiB less 4 KiB of framed signed bytes (options.ts). */
  readonly maxTxs?: number;
  readonly maxBytes?: number;
}

interface Plan<Tx> {
  readonly replace: PoolEntry<Tx> | null;
  readonly evict: PoolEntry<Tx> | null;
  /** The sender's committed nonce the checks used. */
  readonly committedNonce: bigint;
}

interface MempoolMetrics {
  admitted: Counter;
  rejected: Counter<'code'>;
  removed: Counter<'reason'>;
  txs: Gauge;
  bytes: Gauge;
}

export class Mempool<Tx = unknown> {
  readonly options: MempoolOptions;
  private readonly byHash = new Map<string, PoolEntry<Tx>>();
  private readonly senders = new Map<string, SenderQueue<Tx>>();
  /** Senders' tails (highest nonce), cheapest first: eviction candidates. Lazy deletion. */
  private readonly tails = new Heap<PoolEntry<Tx>>(
    (a, b) => a.p.fee < b.p.fee || (a.p.fee === b.p.fee && a.seq > b.seq),
  );
  private nextSeq = 0;
  /** Counts commits applied, so that an admission knows whether its account reads are still current. */
  private commits = 0;
  private totalBytes = 0;
  /** At most the earliest expiry in the pool (a lower bound: removals do not raise it). */
  private earliestExpiry = Number.POSITIVE_INFINITY;
  private readonly now: () => number;
  private readonly metrics: MempoolMetrics | null;

  constructor(
    private readonly deps: MempoolDeps<Tx>,
    options: Pick<MempoolOptions, 'chainId' | 'shardId'> & Partial<MempoolOptions>,
  ) {
    const opts: MempoolOptions = { ...DEFAULT_MEMPOOL_OPTIONS, ...options };
    if (!Number.isSafeInteger(opts.maxTxs) || opts.maxTxs < 1)
      throw new MempoolConfigError('BAD_OPTIONS', 'maxTxs must be a positive integer');
    if (!Number.isSafeInteger(opts.maxPerSender) || opts.maxPerSender < 1)
      throw new MempoolConfigError('BAD_OPTIONS', 'maxPerSender must be a positive integer');
    if (opts.maxNonceAhead < 1n || opts.replacementBumpPercent < 0n) {
      throw new MempoolConfigError(
        'BAD_OPTIONS',
        'maxNonceAhead must be >= 1 and replacementBumpPercent >= 0',
      );
    }
    this.options = opts;
    this.now = deps.now ?? Date.now;
    const m = deps.metrics ?? null;
    this.metrics =
      m === null
        ? null
        : {
            admitted: m.counter({
              name: 'hotshard_mempool_admitted_total',
              help: 'Transactions admitted to the mempool',
            }),
            rejected: m.counter({
              name: 'hotshard_mempool_rejected_total',
              help: 'Transactions refused at admission, by error code',
              labelNames: ['code'],
            }),
            removed: m.counter({
              name: 'hotshard_mempool_removed_total',
              help: 'Transactions removed from the mempool, by reason',
              labelNames: ['reason'],
            }),
            txs: m.gauge({ name: 'hotshard_mempool_transactions', help: 'Transactions in the mempool' }),
            bytes: m.gauge({
              name: 'hotshard_mempool_bytes',
              help: 'Signed bytes of the transactions in the mempool',
            }),
          };
  }

  // ---------------------------------------------------------------- reading

  get size(): number {
    return this.byHash.size;
  }

  /** Signed bytes held. */
  get bytes(): number {
    return this.totalBytes;
  }

  get senderCount(): number {
    return this.senders.size;
  }

  has(hash: Uint8Array): boolean {
    return this.byHash.has(byteKey(hash));
  }

  get(hash: Uint8Array): PoolTx<Tx> | undefined {
    return this.byHash.get(byteKey(hash))?.p;
  }

  /** `get` by the hash's byteKey (a SignedTransaction's hashKey). */
  getByKey(hashKey: string): PoolTx<Tx> | undefined {
    return this.byHash.get(hashKey)?.p;
  }

  /** The pooled transactions of `sender` (address), by nonce. */
  pendingOf(sender: Uint8Array): PoolTx<Tx>[] {
    return (
      this.senders
        .get(byteKey(sender))
        ?.entries()
        .map((e) => e.p) ?? []
    );
  }

  // -------------------------------------------------------------- admission

  /** Admits one transaction (RPC): resolves to its hash, or throws the MempoolError that refused it. */
  async submit(bytes: Uint8Array): Promise<Uint8Array> {
    const [r] = await this.addBatch([bytes]);
    if (!r!.ok) throw r!.error;
    return r!.hash;
  }

  /**
   * Admits a batch (a gossip message, or one RPC submission). Result i
   * belongs to txs[i]. All signatures that reach the last check are verified
   * in ONE call of the verifier. Rejects only when the verifier itself fails
   * (VerifyError): then nothing of the batch is admitted.
   */
  async addBatch(txs: readonly Uint8Array[]): Promise<AdmitResult[]> {
    const results = new Array<AdmitResult>(txs.length);
    const candidates: { i: number; p: PoolTx<Tx> }[] = [];
    const inBatch = new Set<string>();
    const now = this.now();
    const commitsBefore = this.commits;
    let accounts = new AccountSnapshot(this.deps.state);
    for (let i = 0; i < txs.length; i++) {
      try {
        const p = this.decodeChecked(txs[i]!, now);
        const key = p.hashKey;
        if (inBatch.has(key)) throw this.error('DUPLICATE', 'the same transaction twice in one batch', p);
        inBatch.add(key);
        this.plan(p, accounts); // early: do not verify what the pool would refuse anyway
        candidates.push({ i, p });
      } catch (err) {
        results[i] = this.refused(err);
      }
    }
    if (candidates.length > 0) {
      const valid = await this.deps.verifier.verifyBatch(candidates.map((c) => c.p.signature));
      // The pool may have changed during verification: plan again, then apply in the same synchronous step.
      const later = this.now();
      if (this.commits !== commitsBefore) accounts = new AccountSnapshot(this.deps.state);
      candidates.forEach(({ i, p }, j) => {
        try {
          if (valid[j] !== true) throw this.error('BAD_SIGNATURE', 'the signature does not verify', p);
          if (p.expiry < later) throw this.error('EXPIRED', `expired at ${p.expiry}`, p);
          const plan = this.plan(p, accounts);
          this.apply(p, plan);
          results[i] = { ok: true, hash: p.hash, replaced: plan.replace?.p.hash ?? null };
          this.metrics?.admitted.inc();
        } catch (err) {
          results[i] = this.refused(err);
        }
      });
      this.updateGauges();
    }
    return results;
  }

  /** Size cap, canonical decoding, the stateless rules of shards/ (chain, shard, kind, amounts, fee), expiry. */
  private decodeChecked(bytes: Uint8Array, now: number): PoolTx<Tx> {
    if (!(bytes instanceof Uint8Array)) throw new MempoolError('MALFORMED', 'a transaction is bytes');
    if (bytes.length > MAX_TX_BYTES) {
      throw new MempoolError('TOO_LARGE', `transaction of ${bytes.length} bytes exceeds ${MAX_TX_BYTES}`, {
        size: bytes.length,
      });
    }
    const p = this.deps.decode(bytes);
    if (p.expiry < now) throw this.error('EXPIRED', `expired at ${p.expiry}, now ${now}`, p);
    return p;
  }

  /** The stateful checks, in order; returns what admitting `p` would replace or evict. */
  private plan(p: PoolTx<Tx>, accounts: AccountReader): Plan<Tx> {
    const key = p.hashKey;
    if (this.byHash.has(key)) throw this.error('DUPLICATE', 'already pooled', p);

    const committed = accounts.getNonce(p.sender);
    if (p.nonce < committed)
      throw this.error('NONCE_TOO_LOW', `nonce ${p.nonce} is below the account's nonce ${committed}`, p);
    if (p.nonce >= committed + this.options.maxNonceAhead) {
      throw this.error(
        'NONCE_GAP_TOO_LARGE',
        `nonce ${p.nonce} is ${this.options.maxNonceAhead} or more ahead of ${committed}`,
        p,
      );
    }

    const queue = this.senders.get(p.senderKey);
    const existing = queue?.get(p.nonce) ?? null;
    if (existing !== null && p.fee * 100n < existing.p.fee * (100n + this.options.replacementBumpPercent)) {
      throw this.error(
        'NONCE_TAKEN',
        `nonce ${p.nonce} is taken by a pooled transaction; a replacement pays ${this.options.replacementBumpPercent}% more than fee ${existing.p.fee}`,
        p,
      );
    }

    for (const d of mergedDebits(p)) {
      const pooled = queue?.debitsOf(d.key, existing) ?? 0n;
      const balance = accounts.getBalance(p.sender, d.asset);
      if (pooled + d.amount > balance) {
        throw this.error(
          'INSUFFICIENT_BALANCE',
          `pooled ${pooled} + ${d.amount} exceeds the balance ${balance} of asset 0x${d.key}`,
          p,
        );
      }
    }

    const count = (queue?.size ?? 0) - (existing === null ? 0 : 1);
    if (count >= this.options.maxPerSender)
      throw this.error('SENDER_LIMIT', `the sender has ${count} pooled transactions`, p);

    let evict: PoolEntry<Tx> | null = null;
    if (existing === null && this.byHash.size >= this.options.maxTxs) {
      evict = this.cheapestTail(p.senderKey) ?? null;
      if (evict === null || evict.p.fee >= p.fee) {
        throw this.error(
          'MEMPOOL_FULL',
          `the mempool holds ${this.byHash.size} transactions; a new one must pay more than ${evict === null ? 'the cheapest' : evict.p.fee}`,
          p,
        );
      }
    }
    return { replace: existing, evict, committedNonce: committed };
  }

  private apply(p: PoolTx<Tx>, plan: Plan<Tx>): void {
    if (plan.evict !== null) this.removeEntry(plan.evict, 'EVICTED');
    if (plan.replace !== null) this.removeEntry(plan.replace, 'REPLACED');
    const senderKey = p.senderKey;
    let queue = this.senders.get(senderKey);
    if (queue === undefined) {
      queue = new SenderQueue<Tx>(senderKey, p.sender);
      this.senders.set(senderKey, queue);
    }
    queue.committedNonce = plan.committedNonce;
    const entry: PoolEntry<Tx> = { p, key: p.hashKey, senderKey, seq: this.nextSeq++ };
    queue.insert(entry);
    this.byHash.set(entry.key, entry);
    this.totalBytes += p.bytes.length;
    if (p.expiry < this.earliestExpiry) this.earliestExpiry = p.expiry;
    if (queue.tail() === entry) this.pushTail(entry);
  }

  // -------------------------------------------------------------- eviction

  private pushTail(e: PoolEntry<Tx>): void {
    this.tails.push(e);
    // Lazy deletion leaves stale entries behind: compact when they dominate.
    if (this.tails.size > 2 * this.senders.size + 1024) {
      const seen = new Set<PoolEntry<Tx>>();
      this.tails.retain((t) => {
        if (seen.has(t) || !this.isTail(t)) return false;
        seen.add(t);
        return true;
      });
    }
  }

  private isTail(e: PoolEntry<Tx>): boolean {
    return this.byHash.get(e.key) === e && this.senders.get(e.senderKey)?.tail() === e;
  }

  /**
   * The cheapest (then newest) transaction that is the highest nonce of its
   * sender, not of `exceptSender`: evicting it leaves no nonce gap.
   */
  private cheapestTail(exceptSender: string): PoolEntry<Tx> | undefined {
    const skipped: PoolEntry<Tx>[] = [];
    let found: PoolEntry<Tx> | undefined;
    while (this.tails.size > 0) {
      const top = this.tails.peek()!;
      if (!this.isTail(top)) {
        this.tails.pop();
      } else if (top.senderKey === exceptSender) {
        skipped.push(this.tails.pop()!);
      } else {
        found = top;
        break;
      }
    }
    for (const s of skipped) this.tails.push(s);
    return found;
  }

  // ------------------------------------------------------------- selection

  /**
   * Chooses transactions for a block on a parent state: per sender, a run of
   * consecutive nonces starting at the sender's nonce in that state (a
   * transaction after a gap, an expired one, or one beyond the sender's
   * balance ends its sender's run); across senders, highest fee first, then
   * earliest arrival. Stops at maxTxs; skips what would pass maxBytes.
   * Deterministic for a given pool. Removes nothing: the commit does.
   */
  selectForBlock(opts: SelectOptions): SelectedTx<Tx>[] {
    const maxTxs = opts.maxTxs ?? MAX_BLOCK_TXS;
    const maxBytes = opts.maxBytes ?? MAX_BLOCK_TX_BYTES;
    // Reading 50,000 accounts for every proposal would cost more than the
    // block interval, so each sender enters the heap with an upper bound of
    // its next transaction's key (its highest fee, its earliest arrival) and
    // its state is read only when that bound reaches the top: then the bound
    // is replaced by the exact head. An exact head on top comes before
    // everything left, so the order is exactly "fee desc, then arrival".
    interface Cursor {
      fee: bigint;
      seq: number;
      /** Null while the cursor is a bound, not yet a transaction. */
      e: PoolEntry<Tx> | null;
      queue: SenderQueue<Tx>;
      spent: Map<string, bigint>;
      balances: Map<string, bigint>;
    }
    const heads = new Heap<Cursor>(
      (a, b) =>
        a.fee > b.fee ||
        (a.fee === b.fee && (a.seq < b.seq || (a.seq === b.seq && a.e === null && b.e !== null))),
    );
    const changed = opts.changedSenders === undefined ? null : new Set([...opts.changedSenders].map(byteKey));
    for (const queue of this.senders.values()) {
      if (changed !== null) {
        const nonce = changed.has(queue.senderKey) ? opts.nonceOf(queue.address) : queue.committedNonce;
        const head = queue.get(nonce);
        if (head !== undefined)
          heads.push({
            fee: head.p.fee,
            seq: head.seq,
            e: head,
            queue,
            spent: new Map(),
            balances: new Map(),
          });
        continue;
      }
      let fee = -1n;
      let seq = Number.MAX_SAFE_INTEGER;
      for (const e of queue.entries()) {
        if (e.p.fee > fee) fee = e.p.fee;
        if (e.seq < seq) seq = e.seq;
      }
      heads.push({ fee, seq, e: null, queue, spent: new Map(), balances: new Map() });
    }
    const out: SelectedTx<Tx>[] = [];
    let bytes = 0;
    while (heads.size > 0 && out.length < maxTxs) {
      const c = heads.pop()!;
      if (c.e === null) {
        const head = c.queue.get(opts.nonceOf(c.queue.address));
        if (head !== undefined) heads.push({ ...c, fee: head.p.fee, seq: head.seq, e: head });
        continue;
      }
      const p = c.e.p;
      if (p.expiry < opts.now) continue;
      const cost = p.bytes.length + BLOCK_TX_FRAMING_BYTES;
      if (bytes + cost > maxBytes) continue; // this sender stops; a smaller transaction of another may fit
      if (opts.balanceOf !== undefined) {
        const balanceOf = opts.balanceOf;
        if (!spendIfAffordable(mergedDebits(p), c.spent, c.balances, (asset) => balanceOf(p.sender, asset)))
          continue;
      }
      out.push({ tx: p.tx, bytes: p.bytes, hash: p.hash });
      bytes += cost;
      const next = c.queue.get(p.nonce + 1n);
      if (next !== undefined) heads.push({ ...c, fee: next.p.fee, seq: next.seq, e: next });
    }
    return out;
  }

  // ---------------------------------------------------------------- commits

  /**
   * Applies a committed block: removes its transactions, then re-validates
   * the senders it touched against the new committed state (`deps.state`
   * must already show it) and drops expired transactions. Returns the number
   * of transactions removed.
   */
  onBlockCommitted(committed: readonly CommittedTx[], now: number = this.now()): number {
    this.commits++;
    const before = this.byHash.size;
    // Per sender: were all its committed transactions pooled here?
    const touched = new Map<string, boolean>();
    for (const c of committed) {
      const e = this.byHash.get(c.hashKey ?? byteKey(c.hash));
      if (e !== undefined) this.removeEntry(e, 'COMMITTED');
      const k = c.senderKey ?? byteKey(c.sender);
      touched.set(k, e !== undefined && touched.get(k) !== false);
    }
    for (const [s, allPooled] of touched) {
      const queue = this.senders.get(s);
      if (queue === undefined) continue;
      if (allPooled) this.advanceSender(queue);
      else this.revalidateSender(queue);
    }
    this.dropExpired(now);
    this.updateGauges();
    return before - this.byHash.size;
  }

  /** Re-validates every sender against `deps.state` (after a sync jump or a restart) and drops expired ones. */
  revalidateAll(now: number = this.now()): number {
    this.commits++;
    const before = this.byHash.size;
    for (const queue of [...this.senders.values()]) this.revalidateSender(queue);
    this.dropExpired(now);
    this.updateGauges();
    return before - this.byHash.size;
  }

  /** Removes one transaction (for example one found invalid at execution). */
  remove(hash: Uint8Array): boolean {
    const e = this.byHash.get(byteKey(hash));
    if (e === undefined) return false;
    this.removeEntry(e, 'DROPPED');
    this.updateGauges();
    return true;
  }

  /**
   * A sender whose committed transactions were all pooled here keeps the
   * admission invariant without a balance pass: only its own transactions
   * debit an account, each by at most the debits it was pooled with (which
   * left the pooled totals with it), and credits only add. Its new nonce
   * still drops what it made stale.
   */
  private advanceSender(queue: SenderQueue<Tx>): void {
    const nonce = this.deps.state.getNonce(queue.address);
    queue.committedNonce = nonce;
    for (let head = queue.head(); head !== undefined && head.p.nonce < nonce; head = queue.head())
      this.removeEntry(head, 'NONCE_TOO_LOW');
  }

  /**
   * Nonces below the committed nonce are used; then, in nonce order, a
   * transaction that would take the sender's pooled debits past its balance
   * goes (the admission invariant, restored).
   */
  private revalidateSender(queue: SenderQueue<Tx>): void {
    const nonce = this.deps.state.getNonce(queue.address);
    queue.committedNonce = nonce;
    const spent = new Map<string, bigint>();
    const balances = new Map<string, bigint>();
    for (const e of queue.entries()) {
      if (e.p.nonce < nonce) {
        this.removeEntry(e, 'NONCE_TOO_LOW');
        continue;
      }
      const read = (asset: Uint8Array): bigint => this.deps.state.getBalance(queue.address, asset);
      if (!spendIfAffordable(mergedDebits(e.p), spent, balances, read))
        this.removeEntry(e, 'INSUFFICIENT_BALANCE');
    }
  }

  /** Scans the pool only when its earliest expiry may have passed (a scan per commit cost 4,000 entries at saturation). */
  private dropExpired(now: number): void {
    if (now <= this.earliestExpiry) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const e of [...this.byHash.values()]) {
      if (e.p.expiry < now) this.removeEntry(e, 'EXPIRED');
      else if (e.p.expiry < earliest) earliest = e.p.expiry;
    }
    this.earliestExpiry = earliest;
  }

  private removeEntry(e: PoolEntry<Tx>, reason: RemovalReason): void {
    const queue = this.senders.get(e.senderKey);
    if (queue === undefined || !queue.remove(e)) return;
    this.byHash.delete(e.key);
    this.totalBytes -= e.p.bytes.length;
    if (queue.size === 0) this.senders.delete(e.senderKey);
    else {
      const tail = queue.tail()!;
      if (tail.p.nonce < e.p.nonce) this.pushTail(tail); // the removed one was the tail
    }
    this.metrics?.removed.inc({ reason });
  }

  // ---------------------------------------------------------------- helpers

  private error(code: MempoolErrorCode, message: string, p: PoolTx<Tx>): MempoolError {
    return new MempoolError(code, message, { txHash: '0x' + toHex(p.hash) });
  }

  private refused(err: unknown): AdmitResult {
    if (!(err instanceof MempoolError)) throw err; // a bug or a failing dependency: not the transaction's fault
    this.metrics?.rejected.inc({ code: err.code });
    return { ok: false, error: err };
  }

  private updateGauges(): void {
    this.metrics?.txs.set(undefined, this.byHash.size);
    this.metrics?.bytes.set(undefined, this.totalBytes);
  }
}

/**
 * Whether `debits` fit the balances on top of what is `spent` already; when
 * they do, adds them to `spent`. Balances are read once per asset into
 * `balances`. Merged debits name each asset once, so every check reads the
 * totals before this transaction.
 */
function spendIfAffordable(
  debits: readonly MergedDebit[],
  spent: Map<string, bigint>,
  balances: Map<string, bigint>,
  readBalance: (asset: Uint8Array) => bigint,
): boolean {
  for (const d of debits) {
    let balance = balances.get(d.key);
    if (balance === undefined) {
      balance = readBalance(d.asset);
      balances.set(d.key, balance);
    }
    if ((spent.get(d.key) ?? 0n) + d.amount > balance) return false;
  }
  for (const d of debits) spent.set(d.key, (spent.get(d.key) ?? 0n) + d.amount);
  return true;
}
