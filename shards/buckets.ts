/**
 * address -> bucket -> shard (DESIGN.md, Shards, accounts and transactions).
 * The rule is fixed by genesis (genesis/buckets.ts: bucket = first 4 bytes of
 * the address mod bucketCount; the `contiguous` rule gives shard s one range
 * of buckets); this class precomputes the bucket table for the hot path.
 */
import { bucketOfAddress, isValidBucketCount, shardOfBucket } from '../genesis/buckets.js';
import { GenesisError } from '../genesis/errors.js';
import type { Genesis } from '../genesis/types.js';

export class ShardMap {
  private readonly table: Uint16Array;

  constructor(
    readonly bucketCount: number,
    readonly shardCount: number,
  ) {
    if (
      !Number.isInteger(shardCount) ||
      shardCount < 1 ||
      shardCount > 0xffff ||
      !isValidBucketCount(bucketCount, shardCount)
    ) {
      throw new GenesisError(
        'BAD_BUCKETS',
        `bucketCount ${bucketCount} with ${shardCount} shards: need a power of two >= shardCount and <= 65536`,
      );
    }
    this.table = new Uint16Array(bucketCount);
    for (let b = 0; b < bucketCount; b++) this.table[b] = shardOfBucket(b, bucketCount, shardCount);
  }

  static fromGenesis(g: Genesis): ShardMap {
    return new ShardMap(g.bucketCount, g.shardCount);
  }

  bucketOf(address: Uint8Array): number {
    return bucketOfAddress(address, this.bucketCount);
  }

  shardOfBucket(bucket: number): number {
    return this.table[bucket]!;
  }

  shardOf(address: Uint8Array): number {
    return this.table[bucketOfAddress(address, this.bucketCount)]!;
  }

  /** The buckets shard `shardId` owns (a contiguous range under the `contiguous` rule). */
  bucketsOf(shardId: number): number[] {
    const out: number[] = [];
    this.table.forEach((s, b) => {
      if (s === shardId) out.push(b);
    });
    return out;
  }
}
