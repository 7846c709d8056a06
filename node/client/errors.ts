import { HotshardError } from '../../core/errors.js';

/**
 * Failures of a JSON-RPC call as the caller sees them:
 * - UNREACHABLE: no connection (the node is down, or the URL is wrong).
 * - TIMEOUT: no answer within the client's timeout.
 * - HTTP: the server answered with a non-2xx status.
 * - BAD_RESPONSE: the answer is not JSON-RPC 2.0, or a result lacks a field this client needs.
 * - REMOTE: the node answered with a JSON-RPC error; `context.rpcCode` is its numeric code and
 *   `context.dataCode` the typed code in `error.data.code` (for example a MempoolError code).
 * - BAD_URL: the endpoint is not an http:// URL.
 */
export type RpcErrorCode = 'UNREACHABLE' | 'TIMEOUT' | 'HTTP' | 'BAD_RESPONSE' | 'REMOTE' | 'BAD_URL';

export interface RpcErrorContext {
  url?: string;
  method?: string;
  rpcCode?: number;
  dataCode?: string;
  data?: unknown;
  status?: number;
  [k: string]: unknown;
}

export class RpcError extends HotshardError<RpcErrorCode, RpcErrorContext> {}
