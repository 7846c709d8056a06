/**
 * Key and value codecs of the repositories.
 *
 * Keys sort in byte order, so heights and sequence numbers are fixed-width
 * big-endian: a range of heights is a range of keys. Values are either the
 * canonical encoding of core/codec.ts (when the value has a schema, e.g. a
 * block or a certificate), raw bytes, or msgpackr raw framing checked by a
 * shape function.
 */
import { decode, encode, packRaw, unpackRaw, type Codec } from '../../core/codec.js';
import { HotshardError } from '../../core/errors.js';
import { StorageError } from './errors.js';

export interface KeyCodec<K> {
  readonly name: string;
  encode(key: K): Uint8Array;
  decode(bytes: Uint8Array): K;
}

export interface ValueCodec<V> {
  readonly name: string;
  encode(value: V): Uint8Array;
  /** Throws on bytes that are not a value of this codec (the repository reports CORRUPT). */
  decode(bytes: Uint8Array): V;
}

function badKey(name: string, msg: string): never {
  throw new StorageError('BAD_KEY', `${name} key: ${msg}`, { codec: name });
}

/** A non-negative safe integer (height, epoch, sequence) as 8 bytes big-endian. */
export const uintKey: KeyCodec<number> = {
  name: 'u64be',
  encode(n) {
    if (!Number.isSafeInteger(n) || n < 0)
      badKey('u64be', `expected a non-negative safe integer, got ${String(n)}`);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(n));
    return out;
  },
  decode(b) {
    if (b.length !== 8) badKey('u64be', `expected 8 bytes, got ${b.length}`);
    const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) badKey('u64be', 'above 2^53');
    return Number(v);
  },
};

/** Exactly `n` bytes (ids, hashes, addresses). */
export function fixedBytesKey(n: number): KeyCodec<Uint8Array> {
  return {
    name: `bytes${n}`,
    encode(k) {
      if (!(k instanceof Uint8Array) || k.length !== n) badKey(`bytes${n}`, `expected ${n} bytes`);
      return k;
    },
    decode(b) {
      if (b.length !== n) badKey(`bytes${n}`, `expected ${n} bytes, got ${b.length}`);
      return new Uint8Array(b);
    },
  };
}

export const bytes32Key = fixedBytesKey(32);

/** Any bytes (composite keys built by the caller, e.g. lane || seq). */
export const bytesKey: KeyCodec<Uint8Array> = {
  name: 'bytes',
  encode(k) {
    if (!(k instanceof Uint8Array)) badKey('bytes', 'expected bytes');
    return k;
  },
  decode(b) {
    return new Uint8Array(b);
  },
};

/** A UTF-8 name (chain metadata fields). */
export const stringKey: KeyCodec<string> = {
  name: 'utf8',
  encode(k) {
    if (typeof k !== 'string' || k.length === 0) badKey('utf8', 'expected a non-empty string');
    return new Uint8Array(Buffer.from(k, 'utf8'));
  },
  decode(b) {
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  },
};

/** The single record of a bucket (e.g. safety data): an empty key. */
export const singletonKey: KeyCodec<null> = {
  name: 'singleton',
  encode() {
    return new Uint8Array(0);
  },
  decode(b) {
    if (b.length !== 0) badKey('singleton', 'expected an empty key');
    return null;
  },
};

/** Raw bytes, stored as given (e.g. values already canonically encoded by their owner). */
export const bytesValue: ValueCodec<Uint8Array> = {
  name: 'bytes',
  encode(v) {
    if (!(v instanceof Uint8Array)) throw new StorageError('BAD_VALUE', 'expected bytes');
    return v;
  },
  decode(b) {
    return b;
  },
};

/** The canonical encoding of a core/codec.ts schema: a decoder that checks every field. */
export function canonicalValue<T>(codec: Codec<T>, maxBytes = 64 * 1024 * 1024): ValueCodec<T> {
  return {
    name: `canonical<${codec.kind}>`,
    encode: (v) => encode(codec, v),
    decode: (b) => decode(codec, b, maxBytes),
  };
}

/**
 * msgpackr raw framing with a shape check on decode. Beware: the shared
 * packer decodes maps as `Map` (not plain objects), so `check` receives
 * whatever msgpack held; prefer arrays or a canonical codec for structures.
 */
export function rawValue<T>(name: string, check: (decoded: unknown) => T): ValueCodec<T> {
  return {
    name: `raw<${name}>`,
    encode: (v) => packRaw(v),
    decode: (b) => check(unpackRaw(b)),
  };
}

/** A safe non-negative integer as 8 bytes big-endian (counters, heights in metadata). */
export const uintValue: ValueCodec<number> = {
  name: 'u64be',
  encode: (v) => uintKey.encode(v),
  decode: (b) => uintKey.decode(b),
};

/** A one-line description of a codec failure, for the StorageError that wraps it. */
export function describeCodecError(err: unknown): string {
  return err instanceof HotshardError ? `${err.code}: ${err.message}` : String(err);
}
