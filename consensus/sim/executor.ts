/**
 * The simulator's state machine: a payload is a few random bytes, its digest
 * the domain-tagged SHA-256 of them, and every well-formed payload executes.
 * What matters to the simulator is what gets committed: `commit` appends to
 * the node's durable ledger, which the checker reads.
 *
 * The executor also watches the engine keep the BlockExecutor contract (a
 * block runs after its parent); a breach is written to the ledger's notes.
 */
import type { Block, BlockExecutor, ExecutionVerdict, QuorumCert, Round, Height } from '../types.js';
import { blockId } from '../messages.js';
import { taggedHash } from '../../core/hash.js';
import { toHex } from '../../core/bytes.js';
import type { Prng } from './prng.js';

export const SIM_PAYLOAD_TAG = 'hotshard/sim-payload/v1';
/** Payloads are tiny on purpose: a sweep is about rounds and messages, not bytes. */
export const SIM_PAYLOAD_MAX = 64;

/** A committed block as the checker sees it. */
export interface CommittedBlock {
  readonly id: Uint8Array;
  readonly parentId: Uint8Array;
  readonly height: Height;
  readonly round: Round;
}

/** One `commit` call of one node. */
export interface CommitRecord {
  /** Virtual ms since the scenario start. */
  readonly at: number;
  /** The highest honest round when it committed (the round clock of the liveness check). */
  readonly round: Round;
  readonly blocks: readonly CommittedBlock[];
  readonly commitQc: QuorumCert;
}

/** The durable ledger of one simulated node (survives crashes). */
export class Ledger {
  readonly commits: CommitRecord[] = [];
  /** Breaches of the BlockExecutor contract seen by this node's executor. */
  readonly contractNotes: string[] = [];
  /** Highest committed height. */
  height = 0;
  /** Called after each commit (the scenario watches for forks as they happen). */
  onCommit: ((record: CommitRecord) => void) | null = null;
}

export function simPayloadDigest(payload: Uint8Array): Uint8Array {
  return taggedHash(SIM_PAYLOAD_TAG, payload);
}

/** Builds a payload of 4..12 random bytes (the same generator a faulty node uses to make a conflicting block). */
export function simPayload(prng: Prng): Uint8Array {
  return prng.bytes(4 + prng.int(9));
}

export class SimExecutor implements BlockExecutor {
  /** Ids (hex) of blocks executed by this incarnation, plus the durable root it started from. */
  private readonly executed = new Set<string>();

  constructor(
    private readonly prng: Prng,
    private readonly ledger: Ledger,
    startRootId: Uint8Array,
    /** The virtual time and the highest honest round, for the ledger. */
    private readonly now: () => { at: number; round: Round },
  ) {
    this.executed.add(toHex(startRootId));
  }

  payloadDigest(payload: Uint8Array): Uint8Array {
    return simPayloadDigest(payload);
  }

  async buildPayload(
    _parent: Block,
    _round: Round,
    _height: Height,
    _timestamp: number,
  ): Promise<Uint8Array> {
    return simPayload(this.prng);
  }

  async execute(block: Block): Promise<ExecutionVerdict> {
    if (block.payload.length === 0 || block.payload.length > SIM_PAYLOAD_MAX) {
      return {
        ok: false,
        reason: `a sim payload is 1..${SIM_PAYLOAD_MAX} bytes, got ${block.payload.length}`,
      };
    }
    if (!this.executed.has(toHex(block.parentId))) {
      this.ledger.contractNotes.push(
        `block of height ${block.height} round ${block.round} executed before its parent`,
      );
    }
    this.executed.add(toHex(blockId(block)));
    return { ok: true };
  }

  async commit(blocks: readonly Block[], commitQc: QuorumCert): Promise<void> {
    const { at, round } = this.now();
    for (const b of blocks) this.ledger.height = Math.max(this.ledger.height, b.height);
    const record: CommitRecord = {
      at,
      round,
      blocks: blocks.map((b) => ({ id: blockId(b), parentId: b.parentId, height: b.height, round: b.round })),
      commitQc,
    };
    this.ledger.commits.push(record);
    this.ledger.onCommit?.(record);
  }
}
