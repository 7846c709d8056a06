/**
 * Frames of the request-response protocols. Each frame travels
 * varint-length-prefixed (lpStream, capped by maxFrameBytes) on a long-lived
 * stream, one stream per peer, protocol and direction:
 *
 *     type (1 byte) || request id (u32 BE) || body
 *
 *   1 REQUEST   id > 0, body = request bytes        (dialler -> listener)
 *   2 RESPONSE  id of the request, body = response  (listener -> dialler)
 *   3 ERROR     id of the request, body = canonical [code, message]
 *   4 MESSAGE   id 0, body = one-way message        (dialler -> listener)
 *
 * The header is fixed binary so that any byte string decodes to a frame or
 * to a FrameError naming why not, never to something half-parsed.
 */
import { decode, encode, str, struct } from '../../core/codec.js';
import { HotshardError } from '../../core/errors.js';

export const FRAME_HEADER_BYTES = 5;

export type Frame =
  | { readonly type: 'request'; readonly id: number; readonly body: Uint8Array }
  | { readonly type: 'response'; readonly id: number; readonly body: Uint8Array }
  | { readonly type: 'error'; readonly id: number; readonly code: string; readonly message: string }
  | { readonly type: 'message'; readonly id: 0; readonly body: Uint8Array };

const TYPE_CODES = { request: 1, response: 2, error: 3, message: 4 } as const;

const ErrorBody = struct('ReqRespError', [
  ['code', str(64)],
  ['message', str(512)],
] as const);

function truncateUtf8(s: string, maxBytes: number): string {
  let out = s.length > maxBytes ? s.slice(0, maxBytes) : s;
  while (Buffer.byteLength(out, 'utf8') > maxBytes) out = out.slice(0, -1);
  return out;
}

export class FrameError extends HotshardError<'MALFORMED_FRAME'> {}

export function encodeFrame(f: Frame): Uint8Array {
  const body =
    f.type === 'error'
      ? encode(ErrorBody, { code: truncateUtf8(f.code, 64), message: truncateUtf8(f.message, 512) })
      : f.body;
  const out = new Uint8Array(FRAME_HEADER_BYTES + body.length);
  out[0] = TYPE_CODES[f.type];
  new DataView(out.buffer).setUint32(1, f.id);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.length < FRAME_HEADER_BYTES)
    throw new FrameError('MALFORMED_FRAME', `frame of ${bytes.length} bytes is shorter than its header`);
  const id = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  const body = bytes.subarray(FRAME_HEADER_BYTES);
  switch (bytes[0]) {
    case TYPE_CODES.request:
      if (id === 0) throw new FrameError('MALFORMED_FRAME', 'a request needs a non-zero id');
      return { type: 'request', id, body };
    case TYPE_CODES.response:
      return { type: 'response', id, body };
    case TYPE_CODES.error: {
      let e: { code: string; message: string };
      try {
        e = decode(ErrorBody, body);
      } catch (err) {
        throw new FrameError('MALFORMED_FRAME', 'error frame body does not decode', {}, { cause: err });
      }
      return { type: 'error', id, code: e.code, message: e.message };
    }
    case TYPE_CODES.message:
      if (id !== 0) throw new FrameError('MALFORMED_FRAME', 'a one-way message has id 0');
      return { type: 'message', id: 0, body };
    default:
      throw new FrameError('MALFORMED_FRAME', `unknown frame type ${bytes[0]}`);
  }
}
