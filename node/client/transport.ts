/**
 * JSON-RPC 2.0 over HTTP POST, on node:http with a keep-alive agent: a load
 * generator sends thousands of calls a second, and a fresh TCP connection per
 * call (or the heavier fetch stack) would cost the machine more than the
 * node's own work on them.
 */
import { Agent, request } from 'node:http';
import { RpcError } from './errors.js';

export interface TransportOptions {
  /** Milliseconds before a call fails with TIMEOUT. */
  readonly timeoutMs?: number;
  /** Concurrent connections to the endpoint. */
  readonly maxSockets?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_SOCKETS = 16;
/** Answers larger than this are refused (a block with 2,000 transaction hashes is about 150 KB). */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** A request that failed on a reused keep-alive socket before any answer: safe to send again. */
class StaleSocketError extends Error {}

export interface RpcCall {
  readonly method: string;
  readonly params: readonly unknown[];
}

/** One answer of a batch: a result, or the error of that call alone. */
export type RpcOutcome = { ok: true; result: unknown } | { ok: false; error: RpcError };

interface JsonRpcResponse {
  jsonrpc?: unknown;
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

export class JsonRpcTransport {
  readonly url: URL;
  private readonly agent: Agent;
  /** How long a call may go unanswered before it fails with TIMEOUT. */
  readonly timeoutMs: number;
  private nextId = 1;

  constructor(url: string, options: TransportOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new RpcError(
        'BAD_URL',
        `"${url}" is not a URL; give the node's RPC endpoint, e.g. http://127.0.0.1:8545`,
        {
          url,
        },
      );
    }
    if (parsed.protocol !== 'http:') {
      throw new RpcError(
        'BAD_URL',
        `"${url}" is not an http:// URL; the node serves JSON-RPC over plain HTTP`,
        { url },
      );
    }
    this.url = parsed;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS });
  }

  /** Calls one method; resolves to its result or rejects with an RpcError. */
  async call(method: string, params: readonly unknown[] = []): Promise<unknown> {
    const id = this.nextId++;
    const body = await this.post(JSON.stringify({ jsonrpc: '2.0', id, method, params }), method);
    if (Array.isArray(body) || typeof body !== 'object' || body === null) {
      throw this.badResponse(method, 'the answer is not a JSON-RPC object');
    }
    const outcome = this.outcome(body as JsonRpcResponse, method);
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  /**
   * Sends several calls in one JSON-RPC batch (one HTTP request) and returns
   * their outcomes in the order of `calls`.
   */
  async batch(calls: readonly RpcCall[]): Promise<RpcOutcome[]> {
    if (calls.length === 0) return [];
    const first = this.nextId;
    this.nextId += calls.length;
    const payload = calls.map((c, i) => ({
      jsonrpc: '2.0',
      id: first + i,
      method: c.method,
      params: c.params,
    }));
    const label = `batch of ${calls.length} (${calls[0]!.method}...)`;
    const body = await this.post(JSON.stringify(payload), label);
    if (!Array.isArray(body)) {
      // A server without batch support answers one error object for the whole request.
      const single = body as JsonRpcResponse;
      if (typeof single === 'object' && single !== null && single.error !== undefined) {
        const err = this.outcome(single, label);
        if (!err.ok) throw err.error;
      }
      throw this.badResponse(
        label,
        'a batch request got no array answer; does this node support JSON-RPC batches?',
      );
    }
    const byId = new Map<number, JsonRpcResponse>();
    for (const r of body as JsonRpcResponse[]) {
      if (typeof r === 'object' && r !== null && typeof r.id === 'number') byId.set(r.id, r);
    }
    return calls.map((c, i) => {
      const r = byId.get(first + i);
      if (r === undefined)
        return { ok: false, error: this.badResponse(c.method, 'the batch answer lacks this call') };
      return this.outcome(r, c.method);
    });
  }

  /** Closes idle keep-alive connections so that the process can exit. */
  close(): void {
    this.agent.destroy();
  }

  private outcome(r: JsonRpcResponse, method: string): RpcOutcome {
    if (r.error !== undefined && r.error !== null) {
      const e = r.error;
      const rpcCode = typeof e.code === 'number' ? e.code : undefined;
      const message = typeof e.message === 'string' ? e.message : 'unknown error';
      const data = e.data;
      const dataCode =
        typeof data === 'object' && data !== null && typeof (data as { code?: unknown }).code === 'string'
          ? (data as { code: string }).code
          : undefined;
      const ctx = { url: this.url.href, method, rpcCode, dataCode, data };
      return {
        ok: false,
        error: new RpcError('REMOTE', `${method} failed on ${this.url.host}: ${message}`, ctx),
      };
    }
    if (!('result' in r)) return { ok: false, error: this.badResponse(method, 'neither result nor error') };
    return { ok: true, result: r.result };
  }

  private badResponse(method: string, why: string): RpcError {
    return new RpcError('BAD_RESPONSE', `${method} on ${this.url.href}: ${why}`, {
      url: this.url.href,
      method,
    });
  }

  private async post(json: string, method: string): Promise<unknown> {
    try {
      return await this.postOnce(json, method);
    } catch (err) {
      // A keep-alive socket the server closed while idle fails the next request with ECONNRESET
      // before the server saw it (the race Node's http docs describe): send it once more.
      if (!(err instanceof StaleSocketError)) throw err;
    }
    try {
      return await this.postOnce(json, method);
    } catch (err) {
      // Reset again: the node is going away (stopping, or killed).
      if (err instanceof StaleSocketError) throw this.unreachable(method, err);
      throw err;
    }
  }

  private postOnce(json: string, method: string): Promise<unknown> {
    const url = this.url;
    let answered = false;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port === '' ? 80 : Number(url.port),
          path: url.pathname + url.search,
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) },
        },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE_BYTES) {
              req.destroy();
              reject(this.badResponse(method, `answer larger than ${MAX_RESPONSE_BYTES} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('error', (err) => reject(this.unreachable(method, err)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let body: unknown;
            try {
              body = JSON.parse(text);
            } catch {
              if (status < 200 || status >= 300) {
                reject(
                  new RpcError('HTTP', `${method} on ${url.href}: HTTP ${status} ${text.slice(0, 200)}`, {
                    url: url.href,
                    method,
                    status,
                  }),
                );
              } else reject(this.badResponse(method, `the answer is not JSON: ${text.slice(0, 200)}`));
              return;
            }
            // JSON-RPC errors may arrive with a 4xx/5xx status: the body says more than the status.
            resolve(body);
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(
          new RpcError(
            'TIMEOUT',
            `${method} on ${url.href}: no answer within ${this.timeoutMs} ms; is the node overloaded?`,
            {
              url: url.href,
              method,
            },
          ),
        );
      });
      req.on('error', (err) => {
        const code = (err as NodeJS.ErrnoException).code;
        if (!answered && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE'))
          reject(new StaleSocketError(err.message));
        else reject(err instanceof RpcError ? err : this.unreachable(method, err));
      });
      req.end(json);
    });
  }

  private unreachable(method: string, err: Error): RpcError {
    const code = (err as NodeJS.ErrnoException).code;
    return new RpcError(
      'UNREACHABLE',
      `${method}: cannot reach ${this.url.href} (${code ?? err.message}); is the node running, and is this its RPC address?`,
      { url: this.url.href, method, errno: code },
      { cause: err },
    );
  }
}
