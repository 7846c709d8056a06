/**
 * Varint-length-prefixed frames over a libp2p stream, with strict caps.
 *
 * Not @libp2p/utils' lpStream: its check of the length prefix's own length
 * is skipped while the varint is incomplete, so a peer that sends 0xff bytes
 * forever keeps the reader waiting for a length that never ends. Here the
 * prefix is cut off at the bytes a maxFrameBytes length needs, the length is
 * checked before the body is read, and once a frame has started, the rest
 * must arrive within `frameTimeoutMs` (a stalled sender cannot hold the
 * stream's reader forever).
 */
import { byteStream, type ByteStream } from '@libp2p/utils';
import type { Stream } from '@libp2p/interface';
import { HotshardError } from '../../core/errors.js';

export type FrameReadErrorReason = 'oversized' | 'stalled';

/** A frame refused while reading: over the cap (the peer's fault) or stalled mid-frame. */
export class FrameReadError extends HotshardError<'FRAME_OVERSIZED' | 'FRAME_STALLED'> {
  readonly reason: FrameReadErrorReason;
  constructor(reason: FrameReadErrorReason, message: string) {
    super(reason === 'oversized' ? 'FRAME_OVERSIZED' : 'FRAME_STALLED', message, { reason });
    this.reason = reason;
  }
}

/** Bytes of the unsigned LEB128 varint of `n`. */
function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    len++;
  }
  return len;
}

function encodeVarint(n: number): Uint8Array {
  const out = new Uint8Array(varintLength(n));
  let i = 0;
  while (n >= 0x80) {
    out[i++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[i] = n;
  return out;
}

/** Frames up to this size are written with their prefix in one send (one yamux frame, one noise message). */
const COALESCE_BELOW = 256 * 1024;

export class FrameStream {
  private readonly bytes: ByteStream<Stream>;
  private readonly maxPrefixBytes: number;

  constructor(
    readonly stream: Stream,
    private readonly maxFrameBytes: number,
    private readonly frameTimeoutMs: number,
  ) {
    this.bytes = byteStream(stream, { maxBufferSize: maxFrameBytes + 16 });
    this.maxPrefixBytes = varintLength(maxFrameBytes);
  }

  /**
   * The next frame. Throws FrameReadError on an oversized or stalled frame,
   * and the stream's own error (e.g. UnexpectedEOFError) when it ends.
   */
  async read(): Promise<Uint8Array> {
    let length = 0;
    let scale = 1;
    let signal: AbortSignal | undefined;
    for (let i = 0; ; i++) {
      if (i >= this.maxPrefixBytes)
        throw new FrameReadError('oversized', `length prefix longer than ${this.maxPrefixBytes} bytes`);
      const b = (await this.bytes.read({ bytes: 1, signal })).get(0);
      // The frame has started: the rest must follow promptly.
      signal ??= AbortSignal.timeout(this.frameTimeoutMs);
      length += (b & 0x7f) * scale;
      scale *= 0x80;
      if ((b & 0x80) === 0) break;
    }
    if (length > this.maxFrameBytes)
      throw new FrameReadError('oversized', `frame of ${length} bytes exceeds ${this.maxFrameBytes}`);
    if (length === 0) return new Uint8Array(0);
    try {
      return (await this.bytes.read({ bytes: length, signal })).subarray();
    } catch (err) {
      if (signal?.aborted === true)
        throw new FrameReadError(
          'stalled',
          `frame of ${length} bytes not complete after ${this.frameTimeoutMs} ms`,
        );
      throw err;
    }
  }

  async write(frame: Uint8Array): Promise<void> {
    const prefix = encodeVarint(frame.length);
    if (frame.length < COALESCE_BELOW) {
      const out = new Uint8Array(prefix.length + frame.length);
      out.set(prefix, 0);
      out.set(frame, prefix.length);
      await this.bytes.write(out);
    } else {
      await this.bytes.write(prefix);
      await this.bytes.write(frame);
    }
  }
}
