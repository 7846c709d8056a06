/**
 * A typed view of one bucket of one committee (Lodestar's Repository over
 * one database). Keys are `bucket || committeeId (u16 BE) || key`.
 */
import { Bucket, BUCKET_NAMES } from './buckets.js';
import type { KeyCodec, ValueCodec } from './codecs.js';
import { describeCodecError } from './codecs.js';
import type { KvRange } from './kv.js';
import type { DatabaseHandle } from './handle.js';
import { StorageError } from './errors.js';

export const PREFIX_LENGTH = 3;

/** A typed range: bounds are keys of the repository. */
export interface RepositoryRange<K> {
  readonly gte?: K;
  readonly gt?: K;
  readonly lte?: K;
  readonly lt?: K;
  readonly reverse?: boolean;
  readonly limit?: number;
}

export function bucketPrefix(bucket: Bucket, committeeId: number): Uint8Array {
  if (!Number.isInteger(committeeId) || committeeId < 0 || committeeId > 0xffff) {
    throw new StorageError('BAD_KEY', `committee id ${committeeId} is not a u16`, { committeeId });
  }
  return new Uint8Array([bucket, committeeId >> 8, committeeId & 0xff]);
}

/** The smallest key greater than every key starting with `prefix` (null when there is none). */
function prefixEnd(prefix: Uint8Array): Uint8Array | null {
  const end = new Uint8Array(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return null;
}

export class Repository<K, V> {
  readonly prefix: Uint8Array;
  readonly bucketName: string;

  constructor(
    private readonly db: DatabaseHandle,
    readonly bucket: Bucket,
    readonly committeeId: number,
    readonly keys: KeyCodec<K>,
    readonly values: ValueCodec<V>,
  ) {
    this.prefix = bucketPrefix(bucket, committeeId);
    this.bucketName = BUCKET_NAMES.get(bucket) ?? `bucket${bucket}`;
  }

  /** The full database key of `key`. */
  encodeKey(key: K): Uint8Array {
    const k = this.keys.encode(key);
    const out = new Uint8Array(PREFIX_LENGTH + k.length);
    out.set(this.prefix, 0);
    out.set(k, PREFIX_LENGTH);
    return out;
  }

  /**
   * The full database key of a byte-string key given as its byteKey (latin1,
   * one char per byte; core/bytes.ts), written straight after the prefix:
   * the state tree keys its nodes by these strings, and turning each into
   * bytes first cost an allocation and a copy more per node. The key codec
   * is not consulted: the caller checks what it needs (chain-store.ts checks
   * the length of a node's hash).
   */
  encodeByteKey(key: string): Uint8Array {
    const out = new Uint8Array(PREFIX_LENGTH + key.length);
    out.set(this.prefix, 0);
    for (let i = 0; i < key.length; i++) out[PREFIX_LENGTH + i] = key.charCodeAt(i);
    return out;
  }

  decodeKey(full: Uint8Array): K {
    return this.keys.decode(full.subarray(PREFIX_LENGTH));
  }

  encodeValue(value: V): Uint8Array {
    try {
      return this.values.encode(value);
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(
        'BAD_VALUE',
        `${this.bucketName}: value does not encode: ${describeCodecError(err)}`,
        { bucket: this.bucketName },
        { cause: err },
      );
    }
  }

  decodeValue(bytes: Uint8Array): V {
    try {
      return this.values.decode(bytes);
    } catch (err) {
      this.db.metrics?.corruptValues.inc({ bucket: this.bucketName });
      throw new StorageError(
        'CORRUPT',
        `${this.bucketName}: stored value does not decode: ${describeCodecError(err)}`,
        { bucket: this.bucketName },
        { cause: err },
      );
    }
  }

  async get(key: K): Promise<V | null> {
    const b = await this.db.store.get(this.encodeKey(key));
    this.db.metrics?.readKeys.inc({ bucket: this.bucketName });
    return b === undefined ? null : this.decodeValue(b);
  }

  /** A synchronous read (much faster than awaiting `get` in a loop). */
  getSync(key: K): V | null {
    const b = this.db.store.getSync(this.encodeKey(key));
    this.db.metrics?.readKeys.inc({ bucket: this.bucketName });
    return b === undefined ? null : this.decodeValue(b);
  }

  /** Several keys in one call; `null` where absent. */
  async getMany(keys: readonly K[]): Promise<(V | null)[]> {
    const bs = await this.db.store.getMany(keys.map((k) => this.encodeKey(k)));
    this.db.metrics?.readKeys.inc({ bucket: this.bucketName }, keys.length);
    return bs.map((b) => (b === undefined ? null : this.decodeValue(b)));
  }

  async has(key: K): Promise<boolean> {
    return (await this.db.store.get(this.encodeKey(key))) !== undefined;
  }

  /** Writes one record now. Prefer a `WriteBatch` when several records must land together. */
  async put(key: K, value: V, options: { sync?: boolean } = {}): Promise<void> {
    await this.db.write([{ type: 'put', key: this.encodeKey(key), value: this.encodeValue(value) }], {
      sync: options.sync ?? false,
    });
  }

  async del(key: K, options: { sync?: boolean } = {}): Promise<void> {
    await this.db.write([{ type: 'del', key: this.encodeKey(key) }], { sync: options.sync ?? false });
  }

  private rawRange(range: RepositoryRange<K>): KvRange {
    const end = prefixEnd(this.prefix);
    const r: {
      gte?: Uint8Array;
      gt?: Uint8Array;
      lte?: Uint8Array;
      lt?: Uint8Array;
      reverse?: boolean;
      limit?: number;
    } = {
      reverse: range.reverse ?? false,
      limit: range.limit ?? -1,
    };
    if (range.gt !== undefined) r.gt = this.encodeKey(range.gt);
    else r.gte = range.gte !== undefined ? this.encodeKey(range.gte) : this.prefix;
    if (range.lte !== undefined) r.lte = this.encodeKey(range.lte);
    else if (range.lt !== undefined) r.lt = this.encodeKey(range.lt);
    else if (end !== null) r.lt = end;
    return r;
  }

  /** Records in key order (byte order of the encoded keys) within `range`. */
  async *entries(range: RepositoryRange<K> = {}): AsyncIterable<[K, V]> {
    for await (const [k, v] of this.db.store.entries(this.rawRange(range))) {
      this.db.metrics?.readKeys.inc({ bucket: this.bucketName });
      yield [this.decodeKey(k), this.decodeValue(v)];
    }
  }

  /** The record with the highest key, or null when the bucket is empty. */
  async last(): Promise<[K, V] | null> {
    for await (const e of this.entries({ reverse: true, limit: 1 })) return e;
    return null;
  }

  /** Collects `entries(range)` into an array. */
  async list(range: RepositoryRange<K> = {}): Promise<[K, V][]> {
    const out: [K, V][] = [];
    for await (const e of this.entries(range)) out.push(e);
    return out;
  }
}
