/**
 * JSON encoding of RPC results: bigint as a decimal string (amounts exceed
 * 2^53), bytes as 0x-hex, Maps as objects, undefined as absent. Numbers
 * stay numbers (heights, rounds: safe integers).
 */
import { toHex } from '../../core/bytes.js';
import { HotshardError } from '../../core/errors.js';

const MAX_DEPTH = 64;

export function toJsonValue(v: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new HotshardError('TOO_DEEP', 'result nested too deeply for JSON');
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new HotshardError('NOT_FINITE', `cannot encode ${v} in JSON`);
    return v;
  }
  if (typeof v === 'bigint') return v.toString(10);
  if (v === undefined) return null;
  if (v instanceof Uint8Array) return '0x' + toHex(v);
  if (Array.isArray(v)) return v.map((x) => toJsonValue(x, depth + 1));
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) out[String(k)] = toJsonValue(x, depth + 1);
    return out;
  }
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      if (x !== undefined) out[k] = toJsonValue(x, depth + 1);
    return out;
  }
  throw new HotshardError('NOT_JSON', `cannot encode a ${typeof v} in JSON`);
}

/** JSON text of a value (bigint, bytes, Maps converted). */
export function stringifyJson(v: unknown): string {
  return JSON.stringify(toJsonValue(v));
}
