/**
 * The bucket table of the node database (DESIGN.md, The node: storage).
 *
 * Every key starts with one bucket byte, then the committee id as 2 bytes
 * big-endian (a validator process may serve several committees, e.g. the
 * beacon and one shard, in one database), then the bucket's own key:
 *
 *     key = bucket (1 byte) || committeeId (u16 BE) || key within the bucket
 *
 * Numbers are never reused: a retired bucket keeps its number, commented
 * out, so an old database can never be misread. docs/storage.md documents
 * each bucket's key and value.
 */
export enum Bucket {
  /** block id (32 bytes) -> committed block, canonical bytes */
  blockById = 0x01,
  /** height (u64 BE) -> block id of the committed block at that height */
  blockIdByHeight = 0x02,
  /** height (u64 BE) -> commit certificate (the QC whose commit info names that block) */
  commitCertByHeight = 0x03,
  /** node hash (32 bytes) -> sparse Merkle tree node of the state */
  stateNode = 0x04,
  /** account key (address or bucketed key) -> account index record of the state machine */
  accountIndex = 0x05,
  /** tx hash (32 bytes) -> receipt */
  receiptByTxHash = 0x06,
  /** tx hash (32 bytes) -> location {height, index} of the committed transaction */
  txLocationByHash = 0x07,
  /** (no key) -> safety data of this validator in this committee; written with sync: true */
  safetyData = 0x08,
  /** name (UTF-8) -> chain metadata: committed height, genesis hash, ... */
  chainMeta = 0x09,
  /** block id (32 bytes) -> executed but uncommitted block, re-executed after a restart */
  uncommittedBlock = 0x0a,
  /** lane key (destination u16 BE || seq u64 BE) -> outbound cross-shard message */
  outbox = 0x0b,
  /** epoch (u64 BE) -> epoch-change proof (commit certificate of the epoch's last block), for sync across epochs */
  epochChangeProof = 0x0c,
  /** (round u64 BE || proposer u32 BE) -> equivocation evidence */
  equivocationEvidence = 0x0d,
  /** checkpoint sequence (u64 BE) -> this validator's checkpoint signature (never two per sequence) */
  checkpointSignature = 0x0e,
  /** commit height (u64 BE) -> the state keys that commit changed, while its tree nodes are not yet written */
  stateJournal = 0x0f,
}

const BUCKET_ENTRIES: readonly (readonly [string, number])[] = Object.entries(Bucket)
  .filter(([, v]) => typeof v === 'number')
  .map(([k, v]) => [k, v as number] as const);

/** Bucket number -> name (for metrics labels and logs). */
export const BUCKET_NAMES: ReadonlyMap<number, string> = new Map(BUCKET_ENTRIES.map(([k, v]) => [v, k]));

/** Names that share a number with another bucket (TypeScript enums allow it silently); must be empty. */
export function reusedBucketNumbers(): string[] {
  const seen = new Map<number, string>();
  const reused: string[] = [];
  for (const [k, v] of BUCKET_ENTRIES) {
    const other = seen.get(v);
    if (other !== undefined) reused.push(`${other}/${k}=${v}`);
    seen.set(v, k);
  }
  return reused;
}
