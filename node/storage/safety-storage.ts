/**
 * The durable safety data of one validator in one committee (DESIGN.md,
 * Consensus: "written durably (a synced write) before any vote or timeout
 * leaves the process").
 *
 * Encoded with the consensus engine's canonical `SafetyDataCodec`, so every
 * field (votes, timeouts, nested certificates, byte strings) is checked on
 * load. A record that does not decode is reported as CORRUPT, never read as
 * "no safety data": starting from scratch could let the validator vote twice
 * in a round it already voted in.
 */
import type { SafetyData, SafetyStorage } from '../../consensus/types.js';
import { SafetyDataCodec, decodeSafetyData } from '../../consensus/messages.js';
import { Bucket } from './buckets.js';
import { canonicalValue, singletonKey, type ValueCodec } from './codecs.js';
import type { NodeDatabase } from './database.js';
import type { Repository } from './repository.js';

const MAX_SAFETY_BYTES = 4 * 1024 * 1024;
/** Written as version 2; a version 1 record (before proposal reservations) still loads. */
const safetyValue: ValueCodec<SafetyData> = {
  ...canonicalValue(SafetyDataCodec, MAX_SAFETY_BYTES),
  decode: (b) => decodeSafetyData(b, MAX_SAFETY_BYTES),
};

export class DurableSafetyStorage implements SafetyStorage {
  private readonly repo: Repository<null, SafetyData>;
  private readonly lane: string;

  constructor(
    private readonly db: NodeDatabase,
    readonly committeeId: number,
  ) {
    this.repo = db.repository(Bucket.safetyData, committeeId, singletonKey, safetyValue);
    // A lane of its own: saves land in order, and a large commit batch in the main lane never delays a vote.
    this.lane = `safety:${committeeId}`;
  }

  async load(): Promise<SafetyData | null> {
    return this.repo.get(null);
  }

  /** Deletes the record (synced): only after it was saved elsewhere (moveSafetyData). */
  async remove(): Promise<void> {
    await this.db.write([{ type: 'del', key: this.repo.encodeKey(null) }], { sync: true, lane: this.lane });
  }

  /** Resolves only once the record is on stable storage (a `sync: true` write). */
  async save(data: SafetyData): Promise<void> {
    // Encode first: a value that does not encode fails before anything is written.
    const value = this.repo.encodeValue(data);
    const stop = this.db.metrics?.safetySaveSeconds.startTimer({ committee: String(this.committeeId) });
    await this.db.write([{ type: 'put', key: this.repo.encodeKey(null), value }], {
      sync: true,
      lane: this.lane,
    });
    stop?.();
  }
}

/**
 * Moves the safety data of `committeeId` from `from` (where validators kept
 * it before it had a database of its own) into `to`, once: when `to` has no
 * record and `from` has one, the record is written to `to` with a synced
 * write, and only then deleted from `from`. A crash in between leaves the
 * record in both, and the next start finds `to` filled. Returns whether it
 * moved a record.
 */
export async function moveSafetyData(
  from: NodeDatabase,
  to: NodeDatabase,
  committeeId: number,
): Promise<boolean> {
  if (from === to) return false;
  const target = new DurableSafetyStorage(to, committeeId);
  if ((await target.load()) !== null) return false;
  const source = new DurableSafetyStorage(from, committeeId);
  const data = await source.load();
  if (data === null) return false;
  await target.save(data);
  await source.remove();
  return true;
}
