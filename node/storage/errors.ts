import { HotshardError } from '../../core/errors.js';

/**
 * Storage failures:
 * - CLOSED: an operation on a closed database (or a store cut off by a simulated power cut).
 * - CORRUPT: a stored value that does not decode; never silently read as "absent",
 *   since treating lost safety data as absent could let a validator vote twice.
 * - BAD_KEY: a key that its repository's key codec refuses (wrong length, negative height).
 * - BAD_VALUE: a value that its repository's value codec refuses.
 * - BATCH_DONE: a write batch used after it was committed.
 * - IO: the underlying database failed (disk full, lock held by another process).
 */
export type StorageErrorCode = 'CLOSED' | 'CORRUPT' | 'BAD_KEY' | 'BAD_VALUE' | 'BATCH_DONE' | 'IO';
export class StorageError extends HotshardError<StorageErrorCode> {}
