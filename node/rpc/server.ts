/**
 * JSON-RPC 2.0 over HTTP (node:http), on 127.0.0.1 by default:
 *
 *   POST /          one request or a batch (an array)
 *   GET  /metrics   Prometheus text exposition of the node's registry
 *   GET  /health    {"status":"ok", ...} (503 when the node reports itself unhealthy)
 *
 * Every failure is a JSON-RPC error object, never a crash: -32700 for bodies
 * that are not JSON, -32600 for what is not a request (wrong version, no
 * method, empty or oversized batch, body over the size limit, with HTTP 413),
 * -32601 unknown method, -32602 params that do not fit the method's schema,
 * -32000 typed application errors (data.code = the HotshardError code),
 * -32005 a client over its submission rate, -32603 our own bugs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HotshardError } from '../../core/errors.js';
import type { Logger } from '../logger.js';
import { nullLogger } from '../logger.js';
import {
  PROMETHEUS_CONTENT_TYPE,
  type Counter,
  type Histogram,
  type MetricsRegistry,
} from '../metrics/registry.js';
import { RpcCode, RpcParamsError, RpcServerError, type JsonRpcErrorObject } from './errors.js';
import { toJsonValue } from './json.js';
import { TokenBucketLimiter } from './rate-limit.js';
import type { RpcRegistry } from './registry.js';

export interface RpcServerOptions {
  /** Default 127.0.0.1: the RPC is for local users and tools unless the operator says otherwise. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Largest request body. Default 2 MiB: a batch of 100 transactions of 4 KiB in hex fits. */
  readonly maxBodyBytes?: number;
  /** Largest batch. */
  readonly maxBatch?: number;
  /** Submissions per second per client, and the burst it may save up. */
  readonly submissionRate?: number;
  readonly submissionBurst?: number;
}

export interface RpcServerModules {
  readonly registry: RpcRegistry;
  readonly metrics?: MetricsRegistry | null;
  readonly logger?: Logger | null;
  /** What GET /health reports; `ok: false` answers 503. */
  readonly health?: () => { ok: boolean; [k: string]: unknown };
}

export const RPC_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  maxBodyBytes: 2 * 1024 * 1024,
  maxBatch: 100,
  submissionRate: 200,
  submissionBurst: 400,
} as const;

type Id = string | number | null;

interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: Id;
  result?: unknown;
  error?: JsonRpcErrorObject;
}

interface RpcMetrics {
  readonly calls: Counter<'method' | 'result'>;
  readonly seconds: Histogram<'method'>;
  readonly http: Counter<'path' | 'status'>;
}

function rpcError(id: Id, code: number, message: string, data?: unknown): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

function validId(id: unknown): id is Id {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

/** Thrown by the body reader when the limit is passed. */
class BodyTooLarge extends HotshardError<'BODY_TOO_LARGE'> {
  constructor(limit: number) {
    super('BODY_TOO_LARGE', `request body larger than ${limit} bytes`, { limit });
  }
}

export class RpcServer {
  private readonly opts: Required<RpcServerOptions>;
  private readonly registry: RpcRegistry;
  private readonly metricsRegistry: MetricsRegistry | null;
  private readonly metrics: RpcMetrics | null;
  private readonly log: Logger;
  private readonly health: () => { ok: boolean; [k: string]: unknown };
  private readonly limiter: TokenBucketLimiter;
  private server: Server | null = null;
  private address: AddressInfo | null = null;

  constructor(options: RpcServerOptions, modules: RpcServerModules) {
    this.opts = { ...RPC_DEFAULTS, ...options } as Required<RpcServerOptions>;
    for (const f of ['maxBodyBytes', 'maxBatch', 'submissionRate', 'submissionBurst'] as const) {
      if (!(this.opts[f] > 0)) throw new RpcServerError('BAD_OPTIONS', `rpc option ${f} must be positive`);
    }
    this.registry = modules.registry;
    this.metricsRegistry = modules.metrics ?? null;
    this.log = (modules.logger ?? nullLogger()).child('rpc');
    this.health = modules.health ?? (() => ({ ok: true }));
    this.limiter = new TokenBucketLimiter({
      ratePerSec: this.opts.submissionRate,
      burst: this.opts.submissionBurst,
    });
    const r = modules.metrics;
    this.metrics = r
      ? {
          calls: r.counter({
            name: 'hotshard_rpc_calls_total',
            help: 'JSON-RPC calls, by method and result (ok, error code)',
            labelNames: ['method', 'result'],
          }),
          seconds: r.histogram({
            name: 'hotshard_rpc_call_seconds',
            help: 'Time to answer one JSON-RPC call, by method',
            labelNames: ['method'],
          }),
          http: r.counter({
            name: 'hotshard_rpc_http_requests_total',
            help: 'HTTP requests, by path and status',
            labelNames: ['path', 'status'],
          }),
        }
      : null;
  }

  /** Starts listening; resolves to the URL (http://host:port). */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.onRequest(req, res));
    server.keepAliveTimeout = 5_000;
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          new RpcServerError(
            'LISTEN_FAILED',
            `cannot listen on ${this.opts.host}:${this.opts.port}: ${err.message}`,
            {},
            { cause: err },
          ),
        ),
      );
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    server.on('error', (err) => this.log.error('rpc server error', { err }));
    this.server = server;
    this.address = server.address() as AddressInfo;
    this.log.info('rpc listening', { url: this.url });
    return this.url;
  }

  get url(): string {
    if (this.address === null) throw new RpcServerError('LISTEN_FAILED', 'rpc server not started');
    const host = this.address.family === 'IPv6' ? `[${this.address.address}]` : this.address.address;
    return `http://${host}:${this.address.port}`;
  }

  get port(): number {
    return this.address?.port ?? 0;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private send(
    res: ServerResponse,
    status: number,
    contentType: string,
    body: string,
    path: string,
    close = false,
  ): void {
    this.metrics?.http.inc({ path, status: String(status) });
    const headers: Record<string, string | number> = {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
    };
    if (close) headers.connection = 'close';
    res.writeHead(status, headers);
    res.end(body);
  }

  private sendJson(res: ServerResponse, status: number, value: unknown, close = false): void {
    this.send(res, status, 'application/json', JSON.stringify(value), '/', close);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method === 'GET' && path === '/metrics') {
        if (this.metricsRegistry === null)
          return this.send(res, 404, 'text/plain', 'no metrics\n', '/metrics');
        return this.send(res, 200, PROMETHEUS_CONTENT_TYPE, this.metricsRegistry.expose(), '/metrics');
      }
      if (req.method === 'GET' && path === '/health') {
        let h: { ok: boolean; [k: string]: unknown };
        try {
          h = this.health();
        } catch (err) {
          h = { ok: false, error: err instanceof Error ? err.message : String(err) };
        }
        const { ok, ...rest } = h;
        return this.send(
          res,
          ok ? 200 : 503,
          'application/json',
          JSON.stringify(toJsonValue({ status: ok ? 'ok' : 'unhealthy', ...rest })),
          '/health',
        );
      }
      if (path !== '/') return this.send(res, 404, 'text/plain', 'not found\n', 'other');
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        return this.send(res, 405, 'text/plain', 'JSON-RPC needs POST\n', '/');
      }
      await this.onPost(req, res);
    } catch (err) {
      this.log.error('rpc request failed', { err });
      if (!res.headersSent) this.sendJson(res, 500, rpcError(null, RpcCode.INTERNAL_ERROR, 'internal error'));
      else res.destroy();
    }
  }

  private async onPost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: string;
    try {
      body = await this.readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        // Answer, then close: the rest of the body is not read.
        this.sendJson(
          res,
          413,
          rpcError(null, RpcCode.INVALID_REQUEST, `request body larger than ${this.opts.maxBodyBytes} bytes`),
          true,
        );
        res.on('finish', () => req.destroy());
        return;
      }
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return this.sendJson(
        res,
        200,
        rpcError(null, RpcCode.PARSE_ERROR, 'parse error: the body is not JSON'),
      );
    }
    const client = req.socket.remoteAddress ?? 'unknown';
    if (Array.isArray(parsed)) {
      if (parsed.length === 0)
        return this.sendJson(res, 200, rpcError(null, RpcCode.INVALID_REQUEST, 'empty batch'));
      if (parsed.length > this.opts.maxBatch) {
        return this.sendJson(
          res,
          200,
          rpcError(
            null,
            RpcCode.INVALID_REQUEST,
            `batch of ${parsed.length} exceeds ${this.opts.maxBatch} calls`,
          ),
        );
      }
      // All calls start in this turn, in order: each meets the client's rate limit in order (its
      // check runs before the call's first await), and a batch of submissions reaches the mempool
      // as one admission batch (one verification call) instead of one transaction per turn.
      const settled = await Promise.all(parsed.map((call) => this.call(call, client)));
      const answers = settled.filter((a): a is JsonRpcResponse => a !== null);
      if (answers.length === 0) {
        this.metrics?.http.inc({ path: '/', status: '204' });
        res.writeHead(204).end();
        return;
      }
      return this.sendJson(res, 200, answers);
    }
    const answer = await this.call(parsed, client);
    if (answer === null) {
      this.metrics?.http.inc({ path: '/', status: '204' });
      res.writeHead(204).end();
      return;
    }
    this.sendJson(res, 200, answer);
  }

  private readBody(req: IncomingMessage): Promise<string> {
    const max = this.opts.maxBodyBytes;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) return Promise.reject(new BodyTooLarge(max));
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      req.on('data', (c: Buffer) => {
        if (done) return;
        size += c.length;
        if (size > max) {
          done = true;
          req.pause();
          reject(new BodyTooLarge(max));
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        if (done) return;
        done = true;
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
      req.on('error', (err) => {
        if (done) return;
        done = true;
        reject(err);
      });
    });
  }

  /** Answers one call; null for a notification (no id). Never throws. */
  private async call(raw: unknown, client: string): Promise<JsonRpcResponse | null> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return rpcError(null, RpcCode.INVALID_REQUEST, 'a request is a JSON object');
    }
    const r = raw as Record<string, unknown>;
    const hasId = 'id' in r;
    const id: Id = hasId && validId(r.id) ? r.id : null;
    if (hasId && !validId(r.id))
      return rpcError(null, RpcCode.INVALID_REQUEST, 'id must be a string, a number or null');
    if (r.jsonrpc !== '2.0') return rpcError(id, RpcCode.INVALID_REQUEST, 'jsonrpc must be "2.0"');
    if (typeof r.method !== 'string') return rpcError(id, RpcCode.INVALID_REQUEST, 'method must be a string');
    if (r.params !== undefined && (typeof r.params !== 'object' || r.params === null)) {
      return rpcError(id, RpcCode.INVALID_REQUEST, 'params must be an array or an object');
    }
    const notification = !hasId;
    const method = this.registry.get(r.method);
    const label = method?.name ?? 'unknown';
    let answer: JsonRpcResponse;
    const stop = this.metrics?.seconds.startTimer({ method: label });
    if (method === undefined) {
      answer = rpcError(id, RpcCode.METHOD_NOT_FOUND, `method ${r.method.slice(0, 100)} not found`);
    } else if (method.spec.rateLimited === true && !this.limiter.take(client)) {
      answer = rpcError(id, RpcCode.RATE_LIMITED, 'rate limited: too many submissions from this client', {
        code: 'RATE_LIMITED',
        retryAfterMs: this.limiter.retryAfterMs(client),
      });
    } else {
      answer = await this.invoke(method.name, method.spec, r.params, id, client);
    }
    stop?.();
    this.metrics?.calls.inc({ method: label, result: answer.error ? String(answer.error.code) : 'ok' });
    return notification ? null : answer;
  }

  private async invoke(
    name: string,
    spec: {
      params: { parse(p: unknown): readonly unknown[] };
      handler: (p: readonly unknown[], ctx: { client: string }) => unknown;
    },
    rawParams: unknown,
    id: Id,
    client: string,
  ): Promise<JsonRpcResponse> {
    let args: readonly unknown[];
    try {
      args = spec.params.parse(rawParams);
    } catch (err) {
      if (err instanceof RpcParamsError)
        return rpcError(id, RpcCode.INVALID_PARAMS, `invalid params: ${err.message}`, {
          code: 'INVALID_PARAMS',
          path: err.context.path,
        });
      throw err;
    }
    try {
      const result = await spec.handler(args, { client });
      return { jsonrpc: '2.0', id, result: toJsonValue(result === undefined ? null : result) };
    } catch (err) {
      if (err instanceof RpcParamsError)
        return rpcError(id, RpcCode.INVALID_PARAMS, `invalid params: ${err.message}`, {
          code: 'INVALID_PARAMS',
          path: err.context.path,
        });
      if (err instanceof HotshardError) {
        let data: unknown;
        try {
          data = toJsonValue({ ...err.context, code: err.code });
        } catch {
          data = { code: err.code };
        }
        return rpcError(id, RpcCode.APPLICATION_ERROR, err.message, data);
      }
      this.log.error('rpc method failed', { method: name, err });
      return rpcError(id, RpcCode.INTERNAL_ERROR, 'internal error');
    }
  }
}
