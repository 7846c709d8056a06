/**
 * A token bucket per client (remote address) for submissions: `ratePerSec`
 * tokens a second, at most `burst` saved up. The table of clients is bounded:
 * the least recently seen client is forgotten first (a forgotten client
 * starts with a full bucket, which only errs in its favour).
 */
export interface TokenBucketOptions {
  readonly ratePerSec: number;
  readonly burst: number;
  /** Clients tracked at once. */
  readonly maxClients?: number;
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(private readonly opts: TokenBucketOptions) {
    this.maxClients = opts.maxClients ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Takes `cost` tokens from `client`; false (and nothing taken) when the bucket has too few. */
  take(client: string, cost = 1): boolean {
    const b = this.refill(client);
    if (b.tokens < cost) return false;
    b.tokens -= cost;
    return true;
  }

  /** Milliseconds until `client` has `cost` tokens again. */
  retryAfterMs(client: string, cost = 1): number {
    const b = this.refill(client);
    return b.tokens >= cost ? 0 : Math.ceil(((cost - b.tokens) / this.opts.ratePerSec) * 1000);
  }

  private refill(client: string): Bucket {
    const now = this.now();
    let b = this.buckets.get(client);
    if (b === undefined) {
      if (this.buckets.size >= this.maxClients)
        this.buckets.delete(this.buckets.keys().next().value as string);
      b = { tokens: this.opts.burst, at: now };
    } else {
      this.buckets.delete(client); // re-insert: Map order is recency order
      b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) / 1000) * this.opts.ratePerSec);
      b.at = now;
    }
    this.buckets.set(client, b);
    return b;
  }
}
