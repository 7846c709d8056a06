/**
 * A reusable off-heap buffer for the bytes handed to a synchronous native
 * call (node:crypto, classic-level).
 *
 * V8 keeps a small Uint8Array's bytes on its own heap. A native API reads a
 * typed array through its ArrayBuffer, and the first such read makes V8 move
 * the bytes off the heap into a new ArrayBuffer: a malloc, a backing store the
 * GC must track and sweep, and a free. A node hands tens of small arrays per
 * transaction to native code (hash inputs, signatures, database keys), so the
 * bytes are copied here instead, which costs one short memcpy. Safe only for
 * calls that read the bytes before they return: the next call overwrites them.
 */
export class ScratchBuffer {
  private readonly bytes: Buffer;
  /** One view per length: a handful of lengths recur (keys, digests, signed messages). */
  private readonly views = new Map<number, Uint8Array>();

  constructor(readonly size: number) {
    this.bytes = Buffer.allocUnsafeSlow(size);
  }

  /** The first `length` bytes (length at most `size`). */
  view(length: number): Uint8Array {
    let v = this.views.get(length);
    if (v === undefined) {
      v = this.bytes.subarray(0, length);
      if (this.views.size < MAX_CACHED_VIEWS) this.views.set(length, v);
    }
    return v;
  }

  /** Copies `data` to `offset` (the caller checks that it fits). */
  write(data: Uint8Array, offset: number): void {
    this.bytes.set(data, offset);
  }

  /** `data` copied to the start, as a view of its length; undefined when it does not fit. */
  holding(data: Uint8Array): Uint8Array | undefined {
    if (data.length > this.size) return undefined;
    this.bytes.set(data, 0);
    return this.view(data.length);
  }
}

const MAX_CACHED_VIEWS = 256;
