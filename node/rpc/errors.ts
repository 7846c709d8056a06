/**
 * JSON-RPC 2.0 error codes (https://www.jsonrpc.org/specification#error_object)
 * and the node's application range.
 */
import { HotshardError } from '../../core/errors.js';

export const RpcCode = {
  /** Invalid JSON. */
  PARSE_ERROR: -32700,
  /** Not a valid request object (wrong version, no method, bad id, empty or oversized batch, body too large). */
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  /** Params of the wrong shape or type; `data` names the parameter. */
  INVALID_PARAMS: -32602,
  /** A failure of ours (a bug): logged, no detail leaked. */
  INTERNAL_ERROR: -32603,
  /** A typed application error; `data.code` is the HotshardError code (e.g. a MempoolError code). */
  APPLICATION_ERROR: -32000,
  /** The client exceeded its submission rate; `data.retryAfterMs` says when a token is back. */
  RATE_LIMITED: -32005,
} as const;

export interface JsonRpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** Invalid params: which parameter and why. */
export class RpcParamsError extends HotshardError<'INVALID_PARAMS', { path: string }> {
  constructor(path: string, why: string) {
    super('INVALID_PARAMS', `${path}: ${why}`, { path });
  }
}

/** Failures of the RPC server itself (start-up). */
export type RpcServerErrorCode = 'LISTEN_FAILED' | 'BAD_OPTIONS' | 'DUPLICATE_METHOD' | 'BAD_METHOD_NAME';
export class RpcServerError extends HotshardError<RpcServerErrorCode> {}
