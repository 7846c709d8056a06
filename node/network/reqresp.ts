/**
 * Request-response on long-lived streams (TOOLCHAIN.md: a new stream per
 * request costs 2 RTT of protocol negotiation and tops out near 500 req/s;
 * one stream per peer costs 1 RTT and carries 2,200-2,950 req/s).
 *
 * Per peer and protocol, the dialler opens ONE outbound stream and keeps it:
 * its requests and one-way messages go out on it, each request with an id,
 * and the responses come back on it in any order. The listener side reads
 * frames from its inbound streams and answers each request on the stream it
 * came on. A closed stream is reopened by the next request.
 *
 * Garbage (a frame over the cap, a frame that does not parse, a frame of the
 * wrong direction, a response nobody asked for) is counted, penalises the
 * peer and closes (aborts) that stream. It never throws out of the read loop
 * and never touches other peers' streams.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Libp2p } from 'libp2p';
import { HotshardError } from '../../core/errors.js';
import type { Logger } from '../logger.js';
import { NetworkError } from './errors.js';
import { FRAME_HEADER_BYTES, FrameError, decodeFrame, encodeFrame, type Frame } from './frames.js';
import { FrameReadError, FrameStream } from './frame-stream.js';
import type { NetworkMetrics } from './metrics.js';
import type { ResolvedNetworkOptions } from './options.js';
import type { PenaltyReason } from './peer-penalties.js';
import { metricLabel } from './topics.js';

export interface ReqRespContext {
  /** Peer id of the remote (the validator directory maps it to a validator). */
  readonly peerId: string;
  readonly protocol: string;
  /** 'request' expects the returned bytes as the response; 'message' is one-way (the result is dropped). */
  readonly kind: 'request' | 'message';
}

/**
 * Serves one protocol. For a request, the returned bytes are the response
 * (nothing returned = an empty response); a thrown HotshardError is sent
 * back as an error with its code; any other error as INTERNAL.
 */
export type ReqRespHandler = (
  data: Uint8Array,
  ctx: ReqRespContext,
) => Uint8Array | void | Promise<Uint8Array | void>;

type GarbageReason = 'oversized' | 'malformed' | 'unexpected' | 'overflow' | 'stalled';

export interface ReqRespDeps {
  readonly libp2p: Libp2p;
  readonly opts: ResolvedNetworkOptions;
  readonly metrics: NetworkMetrics | null;
  readonly log: Logger;
  /** Called on garbage from a peer; the network penalises it. */
  readonly onGarbage: (peerId: string, reason: PenaltyReason, protocol: string) => void;
}

/** Streams per protocol and connection: one per direction is used, a few spare for reopening while an old one closes. */
const MAX_STREAMS_PER_PROTOCOL = 4;

function classifyReadError(err: unknown): GarbageReason | null {
  if (err instanceof FrameReadError) return err.reason;
  if ((err as { name?: string })?.name === 'StreamBufferError') return 'overflow';
  return null; // EOF, reset, abort: the stream ended, nobody misbehaved
}

/** Writes frames one at a time (two writes must not interleave) and waits for drain. */
/** Counts, logs and (unless the peer merely stalled) penalises garbage on a stream: one rule for both directions. */
function reportGarbage(
  deps: ReqRespDeps,
  protocol: string,
  peerId: string,
  reason: GarbageReason,
  detail: string,
): void {
  deps.metrics?.reqRespInvalidFrames.inc({ protocol: metricLabel(protocol), reason });
  deps.log.warn('garbage on request-response stream', { peerId, protocol, reason, detail });
  if (reason !== 'stalled') deps.onGarbage(peerId, `reqresp_${reason}`, protocol);
}

class FrameWriter {
  private chain: Promise<void> = Promise.resolve();
  constructor(private readonly lp: FrameStream) {}
  write(frame: Frame): Promise<void> {
    const bytes = encodeFrame(frame);
    const next = this.chain.then(() => this.lp.write(bytes));
    this.chain = next.catch(() => {});
    return next;
  }
}

interface Pending {
  readonly resolve: (b: Uint8Array) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** The dialler's side: requests out, responses in. */
class OutboundChannel {
  private readonly lp: FrameStream;
  private readonly writer: FrameWriter;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  closed = false;

  constructor(
    private readonly stream: Stream,
    readonly peerId: string,
    readonly protocol: string,
    private readonly deps: ReqRespDeps,
    private readonly onClose: () => void,
  ) {
    this.lp = new FrameStream(stream, deps.opts.maxFrameBytes, deps.opts.requestTimeoutMs);
    this.writer = new FrameWriter(this.lp);
    stream.addEventListener('close', () =>
      this.close(new NetworkError('STREAM_CLOSED', `stream to ${peerId} closed`)),
    );
    void this.readLoop();
  }

  request(data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed)
      return Promise.reject(new NetworkError('STREAM_CLOSED', `stream to ${this.peerId} closed`));
    if (this.pending.size >= this.deps.opts.maxOutboundInflight) {
      return Promise.reject(
        new NetworkError('BUSY', `${this.pending.size} requests in flight to ${this.peerId}`, {
          peerId: this.peerId,
        }),
      );
    }
    const id = this.nextId;
    // Ids wrap within u32 (skipping 0); a wrapped id still in flight would be a bug, so refuse it.
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    if (this.pending.has(id)) return Promise.reject(new NetworkError('BUSY', 'request id space exhausted'));
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new NetworkError(
            'TIMEOUT',
            `no response from ${this.peerId} on ${this.protocol} within ${timeoutMs} ms`,
            { peerId: this.peerId, protocol: this.protocol },
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.writer.write({ type: 'request', id, body: data }).catch((err) => {
        this.close(
          new NetworkError(
            'STREAM_CLOSED',
            `write to ${this.peerId} failed: ${(err as Error).message}`,
            {},
            { cause: err },
          ),
        );
      });
    });
  }

  async send(data: Uint8Array): Promise<void> {
    if (this.closed) throw new NetworkError('STREAM_CLOSED', `stream to ${this.peerId} closed`);
    try {
      await this.writer.write({ type: 'message', id: 0, body: data });
    } catch (err) {
      this.close(new NetworkError('STREAM_CLOSED', `write to ${this.peerId} failed`, {}, { cause: err }));
      throw new NetworkError(
        'STREAM_CLOSED',
        `write to ${this.peerId} failed: ${(err as Error).message}`,
        {},
        { cause: err },
      );
    }
  }

  private async readLoop(): Promise<void> {
    for (;;) {
      let bytes: Uint8Array;
      try {
        bytes = await this.lp.read();
      } catch (err) {
        const reason = classifyReadError(err);
        if (reason !== null) this.garbage(reason, (err as Error).message);
        else {
          void this.stream
            .close()
            .catch(() => this.stream.abort(new NetworkError('STREAM_CLOSED', 'graceful close failed')));
          this.close(new NetworkError('STREAM_CLOSED', `stream to ${this.peerId} ended`, {}, { cause: err }));
        }
        return;
      }
      let frame: Frame;
      try {
        frame = decodeFrame(bytes);
      } catch (err) {
        this.garbage('malformed', (err as Error).message);
        return;
      }
      if (frame.type !== 'response' && frame.type !== 'error') {
        this.garbage('unexpected', `a ${frame.type} frame on an outbound stream`);
        return;
      }
      const p = this.pending.get(frame.id);
      if (p === undefined) {
        // A response after its timeout is normal; an id never issued is not.
        if (frame.id === 0 || frame.id >= this.nextId) {
          this.garbage('unexpected', `response to request ${frame.id}, never sent`);
          return;
        }
        continue;
      }
      this.pending.delete(frame.id);
      clearTimeout(p.timer);
      if (frame.type === 'response') p.resolve(frame.body);
      else
        p.reject(
          new NetworkError('REMOTE_ERROR', `${this.peerId} answered ${frame.code}: ${frame.message}`, {
            remoteCode: frame.code,
            peerId: this.peerId,
          }),
        );
    }
  }

  private garbage(reason: GarbageReason, detail: string): void {
    reportGarbage(this.deps, this.protocol, this.peerId, reason, detail);
    const err = new NetworkError('STREAM_CLOSED', `stream to ${this.peerId} closed: ${reason} frame`);
    this.close(err);
    this.stream.abort(err);
  }

  close(err: NetworkError): void {
    if (this.closed) return;
    this.closed = true;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.onClose();
  }

  /** Ends the stream gracefully (node shutdown). */
  async shutdown(): Promise<void> {
    this.close(new NetworkError('CLOSED', 'network stopped'));
    await this.stream.close().catch(() => this.stream.abort(new NetworkError('CLOSED', 'network stopped')));
  }
}

/** The listener's side of one inbound stream: requests in, responses out. */
class InboundChannel {
  private readonly lp: FrameStream;
  private readonly writer: FrameWriter;
  private readonly inflight = new Set<number>();
  private slotFreed: (() => void) | null = null;
  private closed = false;
  private remoteEnded = false;

  constructor(
    private readonly stream: Stream,
    readonly peerId: string,
    readonly protocol: string,
    private readonly handler: ReqRespHandler,
    private readonly deps: ReqRespDeps,
    private readonly onClose: () => void,
  ) {
    this.lp = new FrameStream(stream, deps.opts.maxFrameBytes, deps.opts.requestTimeoutMs);
    this.writer = new FrameWriter(this.lp);
    stream.addEventListener('close', () => this.close());
  }

  async run(): Promise<void> {
    for (;;) {
      if (this.inflight.size >= this.deps.opts.maxInboundInflight) {
        // Back-pressure: stop reading until a request completes (yamux then stops the sender).
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        if (this.closed) return;
      }
      let bytes: Uint8Array;
      try {
        bytes = await this.lp.read();
      } catch (err) {
        const reason = classifyReadError(err);
        if (reason !== null) this.garbage(reason, (err as Error).message);
        else {
          // The remote closed its side: answer what is in flight, then close ours.
          this.remoteEnded = true;
          this.finishIfDone();
        }
        return;
      }
      let frame: Frame;
      try {
        frame = decodeFrame(bytes);
      } catch (err) {
        this.garbage('malformed', err instanceof FrameError ? err.message : String(err));
        return;
      }
      if (frame.type === 'message') {
        this.deps.metrics?.reqRespMessages.inc({
          protocol: metricLabel(this.protocol),
          direction: 'inbound',
        });
        void this.dispatchMessage(frame.body);
        continue;
      }
      if (frame.type !== 'request') {
        this.garbage('unexpected', `a ${frame.type} frame on an inbound stream`);
        return;
      }
      if (this.inflight.has(frame.id)) {
        this.garbage('unexpected', `request id ${frame.id} reused while in flight`);
        return;
      }
      this.inflight.add(frame.id);
      void this.serve(frame.id, frame.body);
    }
  }

  private async dispatchMessage(body: Uint8Array): Promise<void> {
    try {
      await this.handler(body, { peerId: this.peerId, protocol: this.protocol, kind: 'message' });
    } catch (err) {
      this.deps.log.debug('direct message handler failed', {
        peerId: this.peerId,
        protocol: this.protocol,
        err,
      });
    }
  }

  private async serve(id: number, body: Uint8Array): Promise<void> {
    const label = metricLabel(this.protocol);
    let frame: Frame;
    try {
      const out =
        (await this.handler(body, { peerId: this.peerId, protocol: this.protocol, kind: 'request' })) ??
        new Uint8Array(0);
      if (out.length + FRAME_HEADER_BYTES > this.deps.opts.maxFrameBytes) {
        frame = {
          type: 'error',
          id,
          code: 'RESPONSE_TOO_LARGE',
          message: `response of ${out.length} bytes exceeds the frame cap`,
        };
        this.deps.log.warn('response over the frame cap', { protocol: this.protocol, bytes: out.length });
      } else {
        frame = { type: 'response', id, body: out };
      }
    } catch (err) {
      const code = err instanceof HotshardError ? String(err.code) : 'INTERNAL';
      const message = err instanceof HotshardError ? err.message : 'internal error';
      if (!(err instanceof HotshardError))
        this.deps.log.error('request handler failed', { protocol: this.protocol, err });
      frame = { type: 'error', id, code, message };
    }
    this.deps.metrics?.reqRespRequests.inc({
      protocol: label,
      direction: 'inbound',
      result: frame.type === 'response' ? 'ok' : 'error',
    });
    try {
      if (!this.closed) await this.writer.write(frame);
    } catch {
      this.close();
    } finally {
      this.inflight.delete(id);
      const wake = this.slotFreed;
      this.slotFreed = null;
      wake?.();
      this.finishIfDone();
    }
  }

  private finishIfDone(): void {
    if (!this.remoteEnded || this.inflight.size > 0 || this.closed) return;
    this.close();
    void this.stream
      .close()
      .catch(() => this.stream.abort(new NetworkError('STREAM_CLOSED', 'graceful close failed')));
  }

  private garbage(reason: GarbageReason, detail: string): void {
    reportGarbage(this.deps, this.protocol, this.peerId, reason, detail);
    this.close();
    this.stream.abort(new NetworkError('STREAM_CLOSED', `${reason} frame`));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const wake = this.slotFreed;
    this.slotFreed = null;
    wake?.();
    this.onClose();
  }

  async shutdown(): Promise<void> {
    this.close();
    await this.stream.close().catch(() => this.stream.abort(new NetworkError('CLOSED', 'network stopped')));
  }
}

export class ReqResp {
  private readonly handlers = new Map<string, ReqRespHandler>();
  private readonly live = new Map<string, OutboundChannel>();
  private readonly opening = new Map<string, Promise<OutboundChannel>>();
  private readonly inbound = new Set<InboundChannel>();
  private stopped = false;

  constructor(private readonly deps: ReqRespDeps) {}

  /** Serves `protocol` with `handler` (one handler per protocol). */
  async handle(protocol: string, handler: ReqRespHandler): Promise<void> {
    this.handlers.set(protocol, handler);
    await this.deps.libp2p.handle(
      protocol,
      (stream: Stream, connection: Connection) => this.onInbound(protocol, stream, connection),
      {
        maxInboundStreams: MAX_STREAMS_PER_PROTOCOL,
        maxOutboundStreams: MAX_STREAMS_PER_PROTOCOL,
        force: true,
      },
    );
  }

  /** Sends a request and waits for its response (or TIMEOUT, STREAM_CLOSED, REMOTE_ERROR, NO_PEER). */
  async request(
    peerId: string,
    protocol: string,
    data: Uint8Array,
    timeoutMs = this.deps.opts.requestTimeoutMs,
  ): Promise<Uint8Array> {
    this.checkSize(data);
    const label = metricLabel(protocol);
    const stop = this.deps.metrics?.reqRespSeconds.startTimer({ protocol: label });
    try {
      const channel = await this.channel(peerId, protocol, timeoutMs);
      const out = await channel.request(data, timeoutMs);
      stop?.();
      this.deps.metrics?.reqRespRequests.inc({ protocol: label, direction: 'outbound', result: 'ok' });
      return out;
    } catch (err) {
      const code = err instanceof NetworkError ? err.code : 'error';
      const result =
        code === 'TIMEOUT' ? 'timeout' : code === 'STREAM_CLOSED' || code === 'NO_PEER' ? 'closed' : 'error';
      this.deps.metrics?.reqRespRequests.inc({ protocol: label, direction: 'outbound', result });
      throw err;
    }
  }

  /** Sends a one-way message on the peer's long-lived stream. */
  async send(peerId: string, protocol: string, data: Uint8Array): Promise<void> {
    this.checkSize(data);
    const channel = await this.channel(peerId, protocol, this.deps.opts.requestTimeoutMs);
    await channel.send(data);
    this.deps.metrics?.reqRespMessages.inc({ protocol: metricLabel(protocol), direction: 'outbound' });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.opening.values()]);
    await Promise.all([
      ...[...this.live.values()].map((c) => c.shutdown()),
      ...[...this.inbound].map((c) => c.shutdown()),
    ]);
    this.live.clear();
    this.inbound.clear();
  }

  private checkSize(data: Uint8Array): void {
    if (data.length + FRAME_HEADER_BYTES > this.deps.opts.maxFrameBytes) {
      throw new NetworkError(
        'TOO_LARGE',
        `${data.length} bytes exceed the frame cap of ${this.deps.opts.maxFrameBytes}`,
        { size: data.length },
      );
    }
  }

  /** The open outbound channel to (peer, protocol), opening one when there is none. Concurrent callers share one opening. */
  private async channel(peerId: string, protocol: string, timeoutMs: number): Promise<OutboundChannel> {
    if (this.stopped) throw new NetworkError('CLOSED', 'network stopped');
    const key = `${peerId} ${protocol}`;
    const live = this.live.get(key);
    if (live !== undefined && !live.closed) return live;
    let opening = this.opening.get(key);
    if (opening === undefined) {
      opening = this.open(peerId, protocol, timeoutMs, key);
      this.opening.set(key, opening);
      const done = (): void => {
        if (this.opening.get(key) === opening) this.opening.delete(key);
      };
      opening.then(done, done);
    }
    return opening;
  }

  private async open(
    peerId: string,
    protocol: string,
    timeoutMs: number,
    key: string,
  ): Promise<OutboundChannel> {
    let pid: PeerId;
    try {
      pid = peerIdFromString(peerId);
    } catch (err) {
      throw new NetworkError('NO_PEER', `${peerId} is not a peer id`, { peerId }, { cause: err });
    }
    let stream: Stream;
    try {
      stream = await this.deps.libp2p.dialProtocol(pid, protocol, {
        signal: AbortSignal.timeout(timeoutMs),
        maxOutboundStreams: MAX_STREAMS_PER_PROTOCOL,
      });
    } catch (err) {
      throw new NetworkError(
        'NO_PEER',
        `cannot open ${protocol} to ${peerId}: ${(err as Error).message}`,
        { peerId, protocol },
        { cause: err },
      );
    }
    if (this.stopped) {
      stream.abort(new NetworkError('CLOSED', 'network stopped'));
      throw new NetworkError('CLOSED', 'network stopped');
    }
    const channel: OutboundChannel = new OutboundChannel(stream, peerId, protocol, this.deps, () => {
      if (this.live.get(key) === channel) this.live.delete(key);
    });
    this.live.set(key, channel);
    return channel;
  }

  private onInbound(protocol: string, stream: Stream, connection: Connection): void {
    const handler = this.handlers.get(protocol);
    const peerId = connection.remotePeer.toString();
    if (handler === undefined || this.stopped) {
      stream.abort(new NetworkError('NO_HANDLER', `no handler for ${protocol}`));
      return;
    }
    const channel = new InboundChannel(stream, peerId, protocol, handler, this.deps, () =>
      this.inbound.delete(channel),
    );
    this.inbound.add(channel);
    void channel.run().catch((err) => {
      // run() handles its own errors; this is a last guard so a bug never becomes an unhandled rejection.
      this.deps.log.error('inbound stream loop failed', { peerId, protocol, err });
      channel.close();
      stream.abort(err as Error);
    });
  }
}
