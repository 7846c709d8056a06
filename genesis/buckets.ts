/**
 * The rule that places accounts on shards (DESIGN.md: an address maps to one
 * of a fixed number of buckets, and buckets map to shards, so that a later
 * change of the shard count moves buckets, not every account).
 *
 * - bucket(address) = the first 4 bytes of the address, big-endian, modulo the
 *   bucket count (a power of two, so every bucket gets the same share; the
 *   address is already a SHA-256 output).
 * - shard(bucket) under the `contiguous` rule = floor(bucket * shardCount /
 *   bucketCount): shard s owns one contiguous range of buckets.
 *
 * Genesis fixes the bucket count and the rule; shards/buckets.ts wraps this
 * in a precomputed table for the hot path.
 */
export const DEFAULT_BUCKET_COUNT = 4096;
export const MAX_BUCKET_COUNT = 65536;

/** The bucket->shard rules genesis can name (the number is the canonical encoding). */
export const BUCKET_RULES = { contiguous: 1 } as const;
export type BucketRule = keyof typeof BUCKET_RULES;

export function bucketOfAddress(address: Uint8Array, bucketCount: number): number {
  const v = ((address[0]! << 24) | (address[1]! << 16) | (address[2]! << 8) | address[3]!) >>> 0;
  return v % bucketCount;
}

export function shardOfBucket(bucket: number, bucketCount: number, shardCount: number): number {
  return Math.floor((bucket * shardCount) / bucketCount);
}

export function shardOfAddress(address: Uint8Array, bucketCount: number, shardCount: number): number {
  return shardOfBucket(bucketOfAddress(address, bucketCount), bucketCount, shardCount);
}

export function isValidBucketCount(bucketCount: number, shardCount: number): boolean {
  return (
    Number.isInteger(bucketCount) &&
    bucketCount >= shardCount &&
    bucketCount <= MAX_BUCKET_COUNT &&
    bucketCount > 0 &&
    (bucketCount & (bucketCount - 1)) === 0
  );
}
