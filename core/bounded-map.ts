/**
 * Eviction for the node's bounded caches (Maps used as LRU or FIFO: the
 * first key is the oldest).
 *
 * Deleting the oldest key on every insert (`map.keys().next()`) looks O(1)
 * but is not in V8: deleted entries stay in the table as holes until it is
 * rehashed, and every new iterator walks over the holes at the front, so a
 * full cache of tens of thousands of entries paid a walk per insert
 * (measured: a third of a commit's in-memory bookkeeping). Evicting an
 * eighth of the capacity in one pass makes it amortised O(1) again.
 */

/** Makes room for one more entry: when `map` holds `capacity` entries or more, deletes the oldest eighth. */
export function makeRoom<K, V>(map: Map<K, V>, capacity: number): void {
  if (map.size < capacity) return;
  let n = Math.max(1, Math.ceil(capacity / 8)) + (map.size - capacity);
  for (const k of map.keys()) {
    map.delete(k);
    if (--n <= 0) break;
  }
}
