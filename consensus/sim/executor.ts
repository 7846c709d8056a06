/**
 * The simulator's state machine: a payload is a few random bytes, its digest
 * the domain-tagged SHA-256 of them, and every well-formed payload executes.
 * What matters to the simulator is what gets committed: `commit` appends to
 * the node's durable ledger, which the checker reads.
 *
 * The executor also checks the engine keeps the BlockExecutor contract (a
 * block is executed after its parent; committed blocks extend the last
 * committed block); breaches are recorded as contract notes in the ledger.
 */
import type { Block, BlockExecutor, ExecutionVerdict, QuorumCert, Round, Height } from '../types.js';
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
  /** The engine's round when it committed. */
  readonly nodeRound: Round;
  readonly blocks: readonly CommittedBlock[];
  readonly commitQc: QuorumCert;
}

/** The durable ledger of one simulated node (survives crashes). */
export class Ledger {
  readonly commits: CommitRecord[] = [];
  /** Breaches of the BlockExecutor contract seen by this node's executor. */
  readonly contractNotes: string[] = [];

  get committedBlocks(): number {
    let n = 0;
    for (const c of this.commits) n += c.blocks.length;
    return n;
  }
}

export function simPayloadDigest(payload: Uint8Array): Uint8Array {
  return taggedHash(SIM_PAYLOAD_TAG, payload);
}

export class SimExecutor implements BlockExecutor {
  /** Ids (hex) of blocks executed in this incarnation, plus the genesis and every committed block. */
  private readonly executed = new Set<string>();

  constructor(
    private readonly prng: Prng,
    private readonly ledger: Ledger,
    genesis: Block,
    genesisId: Uint8Array,
    private readonly now: () => { at: number; round: Round },
  ) {
    this.executed.add(toHex(genesisId));
    // Committed state is durable: a restarted node's executor knows it.
    for (const c of ledger.commits) for (const b of c.blocks) this.executed.add(toHex(b.id));
    void genesis;
  }

  payloadDigest(payload: Uint8Array): Uint8Array {
    return simPayloadDigest(payload);
  }

  async buildPayload(_parent: Block, _round: Round, _height: Height, _timestamp: number): Promise<Uint8Array> {
    return this.prng.bytes(4 + this.prng.int(9));
  }

  async execute(block: Block): Promise<ExecutionVerdict> {
    if (block.payload.length === 0 || block.payload.length > SIM_PAYLOAD_MAX) {
      return { ok: false, reason: `sim payload must be 1..${SIM_PAYLOAD_MAX} bytes, got ${block.payload.length}` };
    }
    if (!this.executed.has(toHex(block.parentId))) {
      this.ledger.contractNotes.push(`executed block at height ${block.height} before its parent`);
    }
    return { ok: true };
  }

  /** Records an executed block id (called by the node wrapper once the engine accepted it). */
  markExecuted(id: Uint8Array): void {
    this.executed.add(toHex(id));
  }

  async commit(blocks: readonly Block[], commitQc: QuorumCert): Promise<void> {
    const { at, round } = this.now();
    this.ledger.commits.push({
      at,
      nodeRound: round,
      blocks: blocks.map((b) => ({ id: blockIdOf(b), parentId: b.parentId, height: b.height, round: b.round })),
      commitQc,
    });
  }
}

/** The id function is the engine's; the node wrapper installs it once the engine module is loaded. */
let blockIdOf: (b: Block) => Uint8Array = () => {
  throw new Error('blockIdOf not installed');
};
export function installBlockId(fn: (b: Block) => Uint8Array): void {
  blockIdOf = fn;
}
