/**
 * An in-memory store over a `MemoryDisk` that models what a machine crash
 * keeps: LevelDB's `sync: false` writes sit in the OS page cache and survive
 * a process kill, but a power cut loses every write that no synced write has
 * flushed since (LevelDB's log is sequential, so a synced write also makes
 * the earlier writes durable).
 *
 * A kill test cannot prove that the safety data is synced before a vote
 * leaves (TOOLCHAIN.md, Test hosts): `disk.powerCut()` can. It also serves as
 * a fast database for unit tests that need no files.
 */
import type { KvOp, KvRange, KvStore, KvWriteOptions } from './kv.js';
import { StorageError } from './errors.js';
import { byteKey, compareBytes } from '../../core/bytes.js';

const bytesOf = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

function applyOps(map: Map<string, Uint8Array>, ops: readonly KvOp[]): void {
  for (const op of ops) {
    if (op.type === 'put') map.set(byteKey(op.key), new Uint8Array(op.value));
    else map.delete(byteKey(op.key));
  }
}

/** The simulated disk: durable contents plus the writes not yet synced. */
export class MemoryDisk {
  private durable = new Map<string, Uint8Array>();
  /** Writes not yet made durable, in order (what a power cut loses). */
  private unsynced: KvOp[][] = [];
  /** What reads see: durable contents with the unsynced writes applied. */
  private visible = new Map<string, Uint8Array>();
  private openStore: MemoryKvStore | null = null;
  private generation = 0;
  /** Counters for tests: how many writes were synced and how many a power cut dropped. */
  readonly stats = { syncedWrites: 0, unsyncedWrites: 0, droppedWrites: 0, powerCuts: 0 };

  /** Opens the disk (like opening the database after a restart). One open store at a time, like LevelDB's lock. */
  open(): MemoryKvStore {
    if (this.openStore !== null && !this.openStore.isClosed()) {
      throw new StorageError('IO', 'the memory disk is already open (LevelDB would refuse the lock)');
    }
    this.generation++;
    this.openStore = new MemoryKvStore(this, this.generation);
    return this.openStore;
  }

  /**
   * Simulates a machine losing power: every write not covered by a synced
   * write is gone, and the open store stops working (its operations fail
   * with CLOSED). Open the disk again to "restart". Returns how many write
   * batches were dropped.
   */
  powerCut(): number {
    const dropped = this.unsynced.length;
    this.stats.droppedWrites += dropped;
    this.stats.powerCuts++;
    this.unsynced = [];
    this.visible = new Map(this.durable);
    this.generation++; // invalidates the open store
    this.openStore = null;
    return dropped;
  }

  /** Number of write batches that a power cut now would lose. */
  get pendingUnsynced(): number {
    return this.unsynced.length;
  }

  /** @internal */
  checkGeneration(g: number): void {
    if (g !== this.generation) throw new StorageError('CLOSED', 'store is closed (power cut or closed)');
  }

  /** @internal */
  read(key: Uint8Array): Uint8Array | undefined {
    const v = this.visible.get(byteKey(key));
    return v === undefined ? undefined : new Uint8Array(v);
  }

  /** @internal */
  write(ops: readonly KvOp[], sync: boolean): void {
    applyOps(this.visible, ops);
    if (sync) {
      for (const batch of this.unsynced) applyOps(this.durable, batch);
      this.unsynced = [];
      applyOps(this.durable, ops);
      this.stats.syncedWrites++;
    } else {
      // Keep a private copy: callers may reuse their buffers.
      this.unsynced.push(
        ops.map((op) =>
          op.type === 'put'
            ? { type: 'put', key: new Uint8Array(op.key), value: new Uint8Array(op.value) }
            : { type: 'del', key: new Uint8Array(op.key) },
        ),
      );
      this.stats.unsyncedWrites++;
    }
  }

  /** @internal A sorted snapshot of the visible keys in a range. */
  scan(range: KvRange): [Uint8Array, Uint8Array][] {
    const inRange = (k: Uint8Array): boolean =>
      (range.gte === undefined || compareBytes(k, range.gte) >= 0) &&
      (range.gt === undefined || compareBytes(k, range.gt) > 0) &&
      (range.lte === undefined || compareBytes(k, range.lte) <= 0) &&
      (range.lt === undefined || compareBytes(k, range.lt) < 0);
    const out: [Uint8Array, Uint8Array][] = [];
    for (const [ks, v] of this.visible) {
      const k = bytesOf(ks);
      if (inRange(k)) out.push([k, new Uint8Array(v)]);
    }
    out.sort((a, b) => compareBytes(a[0], b[0]));
    if (range.reverse === true) out.reverse();
    const limit = range.limit ?? -1;
    return limit >= 0 ? out.slice(0, limit) : out;
  }
}

/** A store opened on a MemoryDisk. */
export class MemoryKvStore implements KvStore {
  readonly kind = 'memory';
  private closed = false;

  /** @internal use `MemoryDisk.open()` or `MemoryKvStore.create()`. */
  constructor(
    private readonly disk: MemoryDisk,
    private readonly generation: number,
  ) {}

  /** A fresh disk, opened. */
  static create(): MemoryKvStore {
    return new MemoryDisk().open();
  }

  isClosed(): boolean {
    return this.closed;
  }

  private check(): void {
    if (this.closed) throw new StorageError('CLOSED', 'store is closed');
    this.disk.checkGeneration(this.generation);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.getSync(key);
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    this.check();
    return this.disk.read(key);
  }

  async getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    this.check();
    return keys.map((k) => this.disk.read(k));
  }

  async write(ops: readonly KvOp[], options: KvWriteOptions): Promise<void> {
    this.check();
    // Settle after a macrotask, as a real disk write would: a caller that
    // sends a vote before awaiting the save is exposed by a power cut in between.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.check();
    this.disk.write(ops, options.sync);
  }

  async *entries(range: KvRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.check();
    for (const e of this.disk.scan(range)) yield e;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
