/**
 * The canonical encoding (DESIGN.md, Encoding and hashing).
 *
 * A value is described by a schema (a `Codec<T>`). A struct is a msgpack
 * fixed-order array of its fields, its version first; integers have one
 * declared kind per field, amounts are 16-byte big-endian u128 byte strings,
 * bytes are msgpack byte strings. There is exactly one encoding per value:
 * the decoder checks every field's type and length, then re-encodes and
 * rejects any input whose bytes differ (so no alternative integer widths,
 * floats, maps, trailing bytes or extension types get through).
 */
import { Packr } from 'msgpackr';
import { CodecError } from './errors.js';
import { bigintToBytes, bytesToBigint, equalBytes } from './bytes.js';

// One packer, configured for canonical output: no records, no bundled
// strings, bigint within 64 bits as msgpack int64/uint64, byte strings copied
// on decode so that decoded values never alias the input buffer.
const PACKR_OPTIONS = {
  useRecords: false,
  moreTypes: false,
  bundleStrings: false,
  structuredClone: false,
  int64AsType: 'bigint',
  copyBuffers: true,
  mapsAsObjects: false,
} as const;
const packr = new Packr(PACKR_OPTIONS);
/** The same settings, byte strings as views into the input (decodeOwned only). */
const viewPackr = new Packr({ ...PACKR_OPTIONS, copyBuffers: false });

/** The msgpack-ready shape of a value (arrays, numbers, bigints, bytes, strings, booleans, null). */
export type Wire = unknown;

/** A schema: converts a typed value to its msgpack shape and back, checking types and bounds both ways. */
export interface Codec<T> {
  readonly kind: string;
  toWire(value: T, path: string): Wire;
  fromWire(wire: Wire, path: string): T;
}

export type Infer<C> = C extends Codec<infer T> ? T : never;

function fail(
  code: 'TYPE' | 'RANGE' | 'LENGTH' | 'MALFORMED' | 'VERSION' | 'UNKNOWN_TAG',
  path: string,
  msg: string,
): never {
  throw new CodecError(code, `${path || '<root>'}: ${msg}`, { path });
}

/**
 * Composite codecs hand their parts an empty path and name the part only when
 * it fails: building every field's path string up front (`txs[417].amount`)
 * cost more allocations than the encoding itself. The error is the same as if
 * the path had been passed down.
 */
function atPath(err: unknown, path: string, segment: string): never {
  if (!(err instanceof CodecError)) throw err;
  const inner = err.context.path ?? '';
  const head = `${err.code}: ${inner || '<root>'}: `;
  const msg = err.message.startsWith(head) ? err.message.slice(head.length) : err.message;
  const full = joinPath(joinPath(path, segment), inner);
  throw new CodecError(
    err.code,
    `${full || '<root>'}: ${msg}`,
    { ...err.context, path: full },
    {
      cause: err.cause,
    },
  );
}

/** `a.b`, `a[3]`, `a.variant`; an empty side adds nothing. */
function joinPath(a: string, b: string): string {
  if (b === '') return a;
  if (a === '') return b;
  return b[0] === '[' || b[0] === '.' ? a + b : `${a}.${b}`;
}

const U32_LIMIT = 2 ** 32;

/** Non-negative integer below 2^53, for rounds, heights, epochs, timestamps and counts. */
function uintCodec(max: number, kind: string): Codec<number> {
  return {
    kind,
    toWire(v, path) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max)
        fail('RANGE', path, `expected ${kind}, got ${String(v)}`);
      // Above 32 bits msgpackr would write a float64: write an int64 instead.
      return v < U32_LIMIT ? v : BigInt(v);
    },
    fromWire(w, path) {
      let n: number;
      if (typeof w === 'number') n = w;
      else if (typeof w === 'bigint') {
        if (w > BigInt(Number.MAX_SAFE_INTEGER) || w < 0n) fail('RANGE', path, `${kind} out of range`);
        n = Number(w);
      } else fail('TYPE', path, `expected ${kind}`);
      if (!Number.isSafeInteger(n) || n < 0 || n > max) fail('RANGE', path, `${kind} out of range: ${n}`);
      return n;
    },
  };
}

export const u8 = uintCodec(0xff, 'u8');
export const u16 = uintCodec(0xffff, 'u16');
export const u32 = uintCodec(0xffffffff, 'u32');
/** A safe integer (< 2^53): rounds, heights, epochs, millisecond timestamps. */
export const uint = uintCodec(Number.MAX_SAFE_INTEGER, 'uint');

const U64_MAX = (1n << 64n) - 1n;
/** A full 64-bit unsigned integer as a bigint (nonces and the like). */
export const u64: Codec<bigint> = {
  kind: 'u64',
  toWire(v, path) {
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) fail('RANGE', path, `expected u64, got ${String(v)}`);
    return v < BigInt(U32_LIMIT) ? Number(v) : v;
  },
  fromWire(w, path) {
    if (typeof w === 'number') {
      if (!Number.isSafeInteger(w) || w < 0) fail('RANGE', path, 'u64 out of range');
      return BigInt(w);
    }
    if (typeof w === 'bigint') {
      if (w < 0n || w > U64_MAX) fail('RANGE', path, 'u64 out of range');
      return w;
    }
    return fail('TYPE', path, 'expected u64');
  },
};

export const U128_MAX = (1n << 128n) - 1n;
/** An amount: bigint in [0, 2^128), on the wire as a 16-byte big-endian byte string. */
export const u128: Codec<bigint> = {
  kind: 'u128',
  toWire(v, path) {
    if (typeof v !== 'bigint' || v < 0n || v > U128_MAX)
      fail('RANGE', path, `expected u128 amount, got ${String(v)}`);
    return bigintToBytes(v, 16);
  },
  fromWire(w, path) {
    if (!(w instanceof Uint8Array)) fail('TYPE', path, 'expected u128 as 16 bytes');
    if (w.length !== 16) fail('LENGTH', path, `u128 must be 16 bytes, got ${w.length}`);
    return bytesToBigint(w);
  },
};

export const bool: Codec<boolean> = {
  kind: 'bool',
  toWire(v, path) {
    if (typeof v !== 'boolean') fail('TYPE', path, 'expected boolean');
    return v;
  },
  fromWire(w, path) {
    if (typeof w !== 'boolean') fail('TYPE', path, 'expected boolean');
    return w;
  },
};

/** Exactly `n` bytes. */
export function bytesN(n: number): Codec<Uint8Array> {
  return {
    kind: `bytes${n}`,
    toWire(v, path) {
      if (!(v instanceof Uint8Array)) fail('TYPE', path, `expected ${n} bytes`);
      if (v.length !== n) fail('LENGTH', path, `expected ${n} bytes, got ${v.length}`);
      return v;
    },
    fromWire(w, path) {
      if (!(w instanceof Uint8Array)) fail('TYPE', path, `expected ${n} bytes`);
      if (w.length !== n) fail('LENGTH', path, `expected ${n} bytes, got ${w.length}`);
      return new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
    },
  };
}

/** At most `max` bytes. */
export function bytesMax(max: number): Codec<Uint8Array> {
  return {
    kind: `bytes<=${max}`,
    toWire(v, path) {
      if (!(v instanceof Uint8Array)) fail('TYPE', path, 'expected bytes');
      if (v.length > max) fail('LENGTH', path, `at most ${max} bytes, got ${v.length}`);
      return v;
    },
    fromWire(w, path) {
      if (!(w instanceof Uint8Array)) fail('TYPE', path, 'expected bytes');
      if (w.length > max) fail('LENGTH', path, `at most ${max} bytes, got ${w.length}`);
      return new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
    },
  };
}

/** A UTF-8 string of at most `max` bytes. */
export function str(max: number): Codec<string> {
  return {
    kind: `string<=${max}`,
    toWire(v, path) {
      if (typeof v !== 'string') fail('TYPE', path, 'expected string');
      if (Buffer.byteLength(v, 'utf8') > max) fail('LENGTH', path, `string longer than ${max} bytes`);
      return v;
    },
    fromWire(w, path) {
      if (typeof w !== 'string') fail('TYPE', path, 'expected string');
      if (Buffer.byteLength(w, 'utf8') > max) fail('LENGTH', path, `string longer than ${max} bytes`);
      return w;
    },
  };
}

export const bytes32 = bytesN(32);
export const bytes20 = bytesN(20);
export const bytes64 = bytesN(64);

/** `fn` of every item; a failure is named by the item's index (see atPath). */
function eachItem<A, B>(items: readonly A[], path: string, fn: (item: A) => B): B[] {
  const out = new Array<B>(items.length);
  for (let i = 0; i < items.length; i++) {
    try {
      out[i] = fn(items[i]!);
    } catch (err) {
      atPath(err, path, `[${i}]`);
    }
  }
  return out;
}

/** A list of at most `maxLen` items. */
export function list<T>(item: Codec<T>, maxLen: number): Codec<T[]> {
  return {
    kind: `list<${item.kind}>`,
    toWire(v, path) {
      if (!Array.isArray(v)) fail('TYPE', path, 'expected list');
      if (v.length > maxLen) fail('LENGTH', path, `at most ${maxLen} items, got ${v.length}`);
      return eachItem(v, path, (x) => item.toWire(x, ''));
    },
    fromWire(w, path) {
      if (!Array.isArray(w)) fail('TYPE', path, 'expected list');
      if (w.length > maxLen) fail('LENGTH', path, `at most ${maxLen} items, got ${w.length}`);
      return eachItem(w, path, (x) => item.fromWire(x, ''));
    },
  };
}

/** A value or nothing (msgpack nil). */
export function optional<T>(inner: Codec<T>): Codec<T | null> {
  return {
    kind: `optional<${inner.kind}>`,
    toWire(v, path) {
      return v === null ? null : inner.toWire(v, path);
    },
    fromWire(w, path) {
      return w === null ? null : inner.fromWire(w, path);
    },
  };
}

type FieldList = readonly (readonly [string, Codec<any>])[];
type StructOf<F extends FieldList> = { [K in F[number] as K[0]]: Infer<K[1]> };

/**
 * A struct: a fixed-order array of its fields. With a `version` the array
 * starts with it, and a decoder rejects any other version.
 */
export function struct<const F extends FieldList>(
  name: string,
  fields: F,
  version?: number,
): Codec<StructOf<F>> {
  const offset = version === undefined ? 0 : 1;
  return {
    kind: name,
    toWire(v, path) {
      if (typeof v !== 'object' || v === null) fail('TYPE', path, `expected ${name}`);
      const out: Wire[] = version === undefined ? [] : [version];
      for (const [fname, codec] of fields) {
        try {
          out.push(codec.toWire((v as Record<string, unknown>)[fname], ''));
        } catch (err) {
          atPath(err, path, fname);
        }
      }
      return out;
    },
    fromWire(w, path) {
      if (!Array.isArray(w)) fail('TYPE', path, `expected ${name} as an array`);
      if (w.length !== fields.length + offset)
        fail('LENGTH', path, `${name} has ${fields.length + offset} fields, got ${w.length}`);
      if (version !== undefined && w[0] !== version)
        fail('VERSION', path, `${name} version ${String(w[0])} is not ${version}`);
      const out: Record<string, unknown> = {};
      for (let i = 0; i < fields.length; i++) {
        const [fname, codec] = fields[i]!;
        try {
          out[fname] = codec.fromWire(w[i + offset], '');
        } catch (err) {
          atPath(err, path, fname);
        }
      }
      return out as StructOf<F>;
    },
  };
}

type Variants = Record<string, Codec<any>>;
export type UnionOf<V extends Variants> = { [K in keyof V]: { type: K; value: Infer<V[K]> } }[keyof V];

/** A tagged union: `[tag, value]`, where the tag is the variant's index in declaration order. */
export function union<const V extends Variants>(name: string, variants: V): Codec<UnionOf<V>> {
  const names = Object.keys(variants);
  return {
    kind: name,
    toWire(v, path) {
      if (typeof v !== 'object' || v === null) fail('TYPE', path, `expected ${name}`);
      const idx = names.indexOf(v.type as string);
      if (idx < 0) fail('UNKNOWN_TAG', path, `unknown ${name} variant ${String(v.type)}`);
      try {
        return [idx, variants[names[idx]!]!.toWire(v.value, '')];
      } catch (err) {
        return atPath(err, path, `.${String(v.type)}`);
      }
    },
    fromWire(w, path) {
      if (!Array.isArray(w) || w.length !== 2) fail('MALFORMED', path, `expected ${name} as [tag, value]`);
      const idx = w[0];
      if (typeof idx !== 'number' || !Number.isInteger(idx) || idx < 0 || idx >= names.length) {
        fail('UNKNOWN_TAG', path, `unknown ${name} tag ${String(idx)}`);
      }
      const type = names[idx]!;
      try {
        return { type, value: variants[type]!.fromWire(w[1], '') } as UnionOf<V>;
      } catch (err) {
        return atPath(err, path, `.${type}`);
      }
    },
  };
}

/** Encodes `value` canonically. Throws CodecError when it does not fit the schema. */
export function encode<T>(codec: Codec<T>, value: T): Uint8Array {
  const b = packr.pack(codec.toWire(value, '')) as Buffer;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Decodes canonical bytes. Throws CodecError on anything malformed, of the
 * wrong shape, larger than `maxBytes`, or not byte-identical to the encoding
 * of the value it decodes to.
 */
export function decode<T>(codec: Codec<T>, bytes: Uint8Array, maxBytes = 4 * 1024 * 1024): T {
  return decodeWith(packr, codec, bytes, maxBytes);
}

function decodeWith<T>(unpacker: Packr, codec: Codec<T>, bytes: Uint8Array, maxBytes: number): T {
  if (!(bytes instanceof Uint8Array)) throw new CodecError('TYPE', 'input is not bytes', {});
  if (bytes.length > maxBytes)
    throw new CodecError('TOO_LARGE', `${bytes.length} bytes exceed the limit of ${maxBytes}`, {});
  let wire: Wire;
  try {
    // unpack (not unpackMultiple): msgpackr ignores trailing bytes, which the
    // re-encoding comparison below rejects.
    wire = unpacker.unpack(bytes);
  } catch (err) {
    throw new CodecError('MALFORMED', `not valid msgpack: ${(err as Error).message}`, {}, { cause: err });
  }
  const value = codec.fromWire(wire, '');
  let again: Uint8Array;
  try {
    again = encode(codec, value);
  } catch (err) {
    throw new CodecError('NOT_CANONICAL', 'decoded value does not re-encode', {}, { cause: err });
  }
  if (!equalBytes(again, bytes))
    throw new CodecError('NOT_CANONICAL', 'input is not the canonical encoding of its value', {});
  return value;
}

/**
 * Like decode, but `owned` becomes part of the result: decoded byte strings
 * are views into it instead of copies. Only for a buffer the caller owns and
 * will never change (a private copy made for the decoded value): a signed
 * transaction decoded this way costs one ArrayBuffer instead of seven, which
 * showed as garbage-collection time under load.
 */
export function decodeOwned<T>(codec: Codec<T>, owned: Uint8Array, maxBytes = 4 * 1024 * 1024): T {
  return decodeWith(viewPackr, codec, owned, maxBytes);
}

/** Raw msgpack framing for non-hashed values (storage records, RPC internals). Not canonical. */
export function packRaw(value: unknown): Uint8Array {
  const b = packr.pack(value) as Buffer;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
export function unpackRaw(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
