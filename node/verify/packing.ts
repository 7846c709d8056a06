/**
 * One ArrayBuffer per batch between the main thread and a worker.
 *
 * Why: structured clone of an array of objects of Uint8Arrays costs a
 * serialisation per field; one ArrayBuffer in the transfer list moves in
 * O(1). Layout (little-endian, no padding):
 *
 *   u32 count, then per item: u32 messageLength, signature (64),
 *   publicKey (32), message (messageLength).
 *
 * Only well-formed items are packed (64-byte signature, 32-byte key): the
 * caller answers the others `false` itself, exactly as core/ed25519.ts
 * `verify` does for wrong lengths.
 */
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from '../../core/ed25519.js';
import type { VerifyItem } from './interface.js';

const HEADER = 4;
const ITEM_FIXED = 4 + SIGNATURE_LENGTH + PUBLIC_KEY_LENGTH;

/** True when the lengths allow the signature to verify at all. */
export function isWellFormed(item: VerifyItem): boolean {
  return (
    item.signature instanceof Uint8Array &&
    item.message instanceof Uint8Array &&
    item.publicKey instanceof Uint8Array &&
    item.signature.length === SIGNATURE_LENGTH &&
    item.publicKey.length === PUBLIC_KEY_LENGTH
  );
}

/** Packs well-formed items (the caller filters with `isWellFormed`) into one fresh ArrayBuffer. */
export function packBatch(items: readonly VerifyItem[]): ArrayBuffer {
  let size = HEADER;
  for (const it of items) size += ITEM_FIXED + it.message.length;
  const buffer = new ArrayBuffer(size);
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  view.setUint32(0, items.length, true);
  let off = HEADER;
  for (const it of items) {
    view.setUint32(off, it.message.length, true);
    off += 4;
    bytes.set(it.signature, off);
    off += SIGNATURE_LENGTH;
    bytes.set(it.publicKey, off);
    off += PUBLIC_KEY_LENGTH;
    bytes.set(it.message, off);
    off += it.message.length;
  }
  return buffer;
}

/**
 * Calls `visit` with zero-copy views of each packed item, in order. Returns
 * false when the buffer is truncated or has trailing bytes (a programming
 * error between our own threads, never user input).
 */
export function unpackBatch(
  buffer: ArrayBuffer,
  visit: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array, index: number) => void,
): boolean {
  if (buffer.byteLength < HEADER) return false;
  const view = new DataView(buffer);
  const count = view.getUint32(0, true);
  let off = HEADER;
  for (let i = 0; i < count; i++) {
    if (off + ITEM_FIXED > buffer.byteLength) return false;
    const len = view.getUint32(off, true);
    off += 4;
    if (off + SIGNATURE_LENGTH + PUBLIC_KEY_LENGTH + len > buffer.byteLength) return false;
    const signature = new Uint8Array(buffer, off, SIGNATURE_LENGTH);
    off += SIGNATURE_LENGTH;
    const publicKey = new Uint8Array(buffer, off, PUBLIC_KEY_LENGTH);
    off += PUBLIC_KEY_LENGTH;
    const message = new Uint8Array(buffer, off, len);
    off += len;
    visit(signature, message, publicKey, i);
  }
  return off === buffer.byteLength;
}

/** The number of items a packed buffer announces, or null when the buffer cannot hold that many. */
export function packedCount(buffer: ArrayBuffer): number | null {
  if (buffer.byteLength < HEADER) return null;
  const count = new DataView(buffer).getUint32(0, true);
  return HEADER + count * ITEM_FIXED <= buffer.byteLength ? count : null;
}
