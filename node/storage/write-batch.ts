/**
 * An atomic write across repositories: either every operation lands or none
 * (LevelDB's write batch), also across a crash. A commit writes the blocks,
 * certificates, state, receipts, indexes and the committed height in one.
 *
 * Values are encoded when they are added, so a value that does not encode
 * fails before anything is written: never a half-written state.
 */
import type { KvOp } from './kv.js';
import type { Repository } from './repository.js';
import type { DatabaseHandle } from './handle.js';
import { StorageError } from './errors.js';

export class WriteBatch {
  private ops: KvOp[] = [];
  private done = false;
  private byteCount = 0;

  /** @internal use `NodeDatabase.batch()`. */
  constructor(private readonly db: DatabaseHandle) {}

  put<K, V>(repo: Repository<K, V>, key: K, value: V): this {
    this.check();
    return this.putEncoded(repo.encodeKey(key), repo.encodeValue(value));
  }

  /** `put` with the key given as its byteKey string (Repository.encodeByteKey). */
  putByteKey<K, V>(repo: Repository<K, V>, key: string, value: V): this {
    this.check();
    return this.putEncoded(repo.encodeByteKey(key), repo.encodeValue(value));
  }

  private putEncoded(k: Uint8Array, v: Uint8Array): this {
    this.ops.push({ type: 'put', key: k, value: v });
    this.byteCount += k.length + v.length;
    return this;
  }

  del<K, V>(repo: Repository<K, V>, key: K): this {
    this.check();
    const k = repo.encodeKey(key);
    this.ops.push({ type: 'del', key: k });
    this.byteCount += k.length;
    return this;
  }

  /** Number of operations so far. */
  get length(): number {
    return this.ops.length;
  }

  /** Bytes of keys and values so far. */
  get byteLength(): number {
    return this.byteCount;
  }

  /**
   * Writes every operation atomically. With `sync`, resolves once the write
   * (and every earlier one) is on stable storage. A batch commits once.
   */
  async commit(options: { sync?: boolean } = {}): Promise<void> {
    this.check();
    this.done = true;
    const ops = this.ops;
    this.ops = [];
    await this.db.write(ops, { sync: options.sync ?? false });
  }

  private check(): void {
    if (this.done) throw new StorageError('BATCH_DONE', 'this write batch was already committed');
  }
}
