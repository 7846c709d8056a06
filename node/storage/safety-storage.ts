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
import { SafetyDataCodec } from '../../consensus/messages.js';
import { Bucket } from './buckets.js';
import { canonicalValue, singletonKey } from './codecs.js';
import type { NodeDatabase } from './database.js';
import type { Repository } from './repository.js';

const safetyValue = canonicalValue(SafetyDataCodec, 4 * 1024 * 1024);

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
