/**
 * "Transactions verified at mempool admission are not verified again"
 * (DESIGN.md, Execution of a block).
 *
 * The cache remembers the hashes of transactions whose signature verified.
 * The key is the tagged hash of the WHOLE signed bytes, and the canonical
 * decoder yields exactly one (signature, message, public key) per byte
 * string, so a hit stands for the very triple that verified: no other
 * signature can hide behind a cached hash. Only successes are stored, so a
 * flood of bad signatures cannot evict good entries.
 */
import { byteKey as key } from '../../core/bytes.js';
import { makeRoom } from '../../core/bounded-map.js';
import type { SignatureVerifier, VerifyItem, VerifyOptions } from './interface.js';

/**
 * Default capacity: 32,768 hashes, about 3 MB. A block's transactions that
 * the mempool still holds count as verified without the cache (node/chain),
 * so the cache only needs to cover transactions that left the mempool before
 * their block executed (a commit seen first through sync, a re-delivered
 * block): seconds of traffic, not a whole mempool.
 */
export const DEFAULT_VERIFIED_CACHE_SIZE = 32_768;

/** A bounded set of 32-byte hashes, oldest insertions out first. */
export class VerifiedTxCache {
  private readonly entries = new Map<string, true>();

  constructor(readonly capacity: number = DEFAULT_VERIFIED_CACHE_SIZE) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError('cache capacity must be a positive integer');
  }

  /** True when `hash` verified before. */
  has(hash: Uint8Array): boolean {
    return this.entries.has(key(hash));
  }

  /** `has` by the hash's byteKey. */
  hasKey(k: string): boolean {
    return this.entries.has(k);
  }

  /**
   * Remembers a verified hash; the oldest go first when the cache is full. A
   * hit does not refresh an entry: a transaction is looked up within seconds
   * of its verification (admission, then its block), and moving it on every
   * hit cost two more map operations per lookup.
   */
  add(hash: Uint8Array): void {
    this.addKey(key(hash));
  }

  /** `add` by the hash's byteKey. */
  addKey(k: string): void {
    if (this.entries.has(k)) return;
    makeRoom(this.entries, this.capacity);
    this.entries.set(k, true);
  }

  delete(hash: Uint8Array): void {
    this.entries.delete(key(hash));
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** A transaction signature to check, named by the tagged hash of the transaction's whole signed bytes. */
export interface HashedVerifyItem extends VerifyItem {
  readonly txHash: Uint8Array;
  /** byteKey(txHash) when the caller has it already. */
  readonly txKey?: string;
}

/** Counters for metrics and tests. */
export interface CachedVerifierStats {
  /** Signatures answered from the cache. */
  hits: number;
  /** Signatures answered by a verification another call had already started. */
  joined: number;
  /** Signatures sent to the verifier. */
  verified: number;
}

/**
 * A SignatureVerifier in front of which sits the cache: the mempool and
 * block execution share one instance, so admission's work is reused.
 */
export class CachedTxVerifier {
  readonly stats: CachedVerifierStats = { hits: 0, joined: 0, verified: 0 };
  /**
   * Verifications started and not finished, by hash key. A transaction can
   * reach a validator twice at nearly the same time (in a proposal that
   * arrived before its gossip, then in the gossip): the second call waits
   * for the first verdict instead of verifying the same signature again.
   */
  private readonly inFlight = new Map<
    string,
    { readonly batch: Promise<boolean[]>; readonly index: number; readonly options: VerifyOptions }
  >();

  constructor(
    readonly verifier: SignatureVerifier,
    readonly cache: VerifiedTxCache = new VerifiedTxCache(),
  ) {}

  /**
   * Result `i` is true when item i's signature is valid. Cached hashes are
   * not verified again, hashes being verified by another call wait for that
   * verdict; the rest go to the verifier in ONE batch (a hash repeated within
   * the batch is verified once); successes enter the cache.
   */
  async verifyBatch(items: readonly HashedVerifyItem[], options?: VerifyOptions): Promise<boolean[]> {
    const results = new Array<boolean>(items.length).fill(false);
    const pending: HashedVerifyItem[] = [];
    const pendingKeys: string[] = [];
    const slots = new Map<string, number[]>();
    let joined: Promise<void>[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      const k = it.txKey ?? key(it.txHash);
      if (this.cache.hasKey(k)) {
        results[i] = true;
        this.stats.hits++;
        continue;
      }
      const same = slots.get(k);
      if (same !== undefined) {
        same.push(i);
        continue;
      }
      const running = this.inFlight.get(k);
      if (running !== undefined) {
        this.stats.joined++;
        // A block waits for it now: the batch goes before admission work.
        if (options?.urgent === true) running.options.urgent = true;
        const waited = running.batch.then((v) => void (results[i] = v[running.index] === true));
        // Handled here too: if this call's own batch fails first, nobody awaits `waited`.
        waited.catch(() => undefined);
        (joined ??= []).push(waited);
        continue;
      }
      slots.set(k, [i]);
      pending.push(it);
      pendingKeys.push(k);
    }
    if (pending.length > 0) {
      this.stats.verified += pending.length;
      // A copy of its own: joining calls may raise `urgent` on it, not on the caller's object.
      const batchOptions: VerifyOptions = { urgent: options?.urgent === true };
      const batch = this.verifier.verifyBatch(pending, batchOptions);
      pendingKeys.forEach((k, index) => this.inFlight.set(k, { batch, index, options: batchOptions }));
      try {
        const verdicts = await batch;
        pendingKeys.forEach((k, j) => {
          const ok = verdicts[j] === true;
          if (ok) this.cache.addKey(k);
          for (const i of slots.get(k)!) results[i] = ok;
        });
      } finally {
        for (const k of pendingKeys) this.inFlight.delete(k);
      }
    }
    if (joined !== undefined) await Promise.all(joined);
    return results;
  }

  /** True when the transaction's signature is known valid, without verifying anything. */
  isVerified(txHash: Uint8Array): boolean {
    return this.cache.has(txHash);
  }

  close(): Promise<void> {
    return this.verifier.close();
  }
}
