/**
 * Typed validation of JSON-RPC params. A method declares its positional
 * params as a tuple of schemas; a call whose params do not fit gets
 * -32602 with the path of the first bad parameter, before the handler runs.
 *
 *   const schema = params(p.hex({ length: 32 }), p.optional(p.object({ proof: p.optional(p.bool()) })));
 *   // handler receives [Uint8Array, { proof?: boolean } | undefined]
 */
import { RpcParamsError } from './errors.js';

export interface Schema<T> {
  /** A short description for rpc_methods ("hex32", "uint", ...). */
  readonly describe: string;
  readonly optional?: boolean;
  parse(v: unknown, path: string): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function fail(path: string, why: string): never {
  throw new RpcParamsError(path, why);
}

const HEX_RE = /^0x([0-9a-fA-F]{2})*$/;

export const p = {
  /** 0x-prefixed hex bytes; `length` exact or `max` bytes. */
  hex(opts: { length?: number; max?: number } = {}): Schema<Uint8Array> {
    const describe = opts.length !== undefined ? `hex${opts.length}` : `hex<=${opts.max ?? '*'}`;
    return {
      describe,
      parse(v, path) {
        if (typeof v !== 'string') fail(path, 'expected a 0x-prefixed hex string');
        // Check the length before scanning: a huge string fails fast.
        const n = (v.length - 2) / 2;
        if (opts.length !== undefined && n !== opts.length)
          fail(path, `expected ${opts.length} bytes of hex`);
        if (opts.max !== undefined && n > opts.max) fail(path, `at most ${opts.max} bytes of hex`);
        if (!HEX_RE.test(v)) fail(path, 'expected a 0x-prefixed hex string of whole bytes');
        return new Uint8Array(Buffer.from(v.slice(2), 'hex'));
      },
    };
  },
  /** A non-negative safe integer (height, round, count). */
  uint(opts: { max?: number } = {}): Schema<number> {
    return {
      describe: 'uint',
      parse(v, path) {
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
          fail(path, 'expected a non-negative integer');
        if (opts.max !== undefined && v > opts.max) fail(path, `at most ${opts.max}`);
        return v;
      },
    };
  },
  /** An amount: a decimal string (or a safe integer number) -> bigint. */
  amount(): Schema<bigint> {
    return {
      describe: 'decimal',
      parse(v, path) {
        if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
        if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,77})$/.test(v))
          fail(path, 'expected a non-negative decimal string');
        return BigInt(v);
      },
    };
  },
  string(opts: { max?: number; oneOf?: readonly string[] } = {}): Schema<string> {
    return {
      describe: opts.oneOf ? opts.oneOf.join('|') : 'string',
      parse(v, path) {
        if (typeof v !== 'string') fail(path, 'expected a string');
        if (v.length > (opts.max ?? 1024)) fail(path, `at most ${opts.max ?? 1024} characters`);
        if (opts.oneOf && !opts.oneOf.includes(v)) fail(path, `expected one of ${opts.oneOf.join(', ')}`);
        return v;
      },
    };
  },
  bool(): Schema<boolean> {
    return {
      describe: 'bool',
      parse(v, path) {
        if (typeof v !== 'boolean') fail(path, 'expected true or false');
        return v;
      },
    };
  },
  array<T>(item: Schema<T>, opts: { max: number }): Schema<T[]> {
    return {
      describe: `${item.describe}[]`,
      parse(v, path) {
        if (!Array.isArray(v)) fail(path, 'expected an array');
        if (v.length > opts.max) fail(path, `at most ${opts.max} items`);
        return v.map((x, i) => item.parse(x, `${path}[${i}]`));
      },
    };
  },
  /** An object with known fields; unknown fields are refused (a typo would otherwise be silently ignored). */
  object<F extends Record<string, Schema<unknown>>>(fields: F): Schema<{ [K in keyof F]: Infer<F[K]> }> {
    return {
      describe: `{${Object.entries(fields)
        .map(([k, s]) => `${k}${s.optional ? '?' : ''}: ${s.describe}`)
        .join(', ')}}`,
      parse(v, path) {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
        const o = v as Record<string, unknown>;
        for (const k of Object.keys(o)) if (!(k in fields)) fail(`${path}.${k}`, 'unknown field');
        const out: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(fields)) {
          if (o[k] === undefined) {
            if (!s.optional) fail(`${path}.${k}`, 'missing');
            continue;
          }
          out[k] = s.parse(o[k], `${path}.${k}`);
        }
        return out as { [K in keyof F]: Infer<F[K]> };
      },
    };
  },
  /** May be absent (or null). */
  optional<T>(inner: Schema<T>): Schema<T | undefined> {
    return {
      describe: inner.describe,
      optional: true,
      parse(v, path) {
        return v === undefined || v === null ? undefined : inner.parse(v, path);
      },
    };
  },
};

type Parsed<S extends readonly Schema<unknown>[]> = { [K in keyof S]: Infer<S[K]> };

/** The positional params of a method. */
export interface ParamsSchema<P extends readonly unknown[]> {
  readonly names: readonly string[];
  readonly describe: readonly string[];
  parse(params: unknown): P;
}

/**
 * Positional params: `params` must be an array (or absent when every param
 * is optional), with no more items than declared; trailing optional params
 * may be left out.
 */
export function params<const S extends readonly Schema<unknown>[]>(...schemas: S): ParamsSchema<Parsed<S>> {
  const required = schemas.reduce((n, s, i) => (s.optional ? n : i + 1), 0);
  return {
    names: schemas.map((_, i) => `params[${i}]`),
    describe: schemas.map((s) => `${s.describe}${s.optional ? '?' : ''}`),
    parse(raw) {
      const list = raw === undefined ? [] : raw;
      if (!Array.isArray(list)) fail('params', 'expected an array of positional params');
      if (list.length > schemas.length)
        fail('params', `at most ${schemas.length} params, got ${list.length}`);
      if (list.length < required) fail(`params[${list.length}]`, 'missing');
      return schemas.map((s, i) => s.parse(list[i], `params[${i}]`)) as Parsed<S>;
    },
  };
}
