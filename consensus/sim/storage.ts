/**
 * Durable storage of a simulated node. A crash loses everything the node
 * held in memory; what it wrote here survives:
 *
 * - the safety data, written through SafetyStorage (a `save` that resolved is
 *   durable, as a synced write is);
 * - what node/ persists for the engine's recovery option: the last committed
 *   block and its commit certificate, the uncommitted blocks above it, the
 *   highest QC and TC (recorded from the engine's events, as node/ does).
 *
 * Each engine incarnation gets its own SafetyStorage handle; after a crash
 * the old handle is cut off, so a write the dead incarnation still had in
 * flight never lands.
 */
import type { Block, QuorumCert, SafetyData, SafetyStorage, TimeoutCert } from '../types.js';
import type { EngineEvent, EngineRecovery } from '../engine.js';
import { SafetyDataCodec, blockId, decodeSafetyData } from '../messages.js';
import { encode } from '../../core/codec.js';
import { toHex } from '../../core/bytes.js';

/** The safety data as the disk holds it: its canonical encoding (SafetyDataCodec, as node/ stores it). */
export class DurableSafety {
  data: Uint8Array | null = null;
  /** Completed saves over all incarnations. */
  saves = 0;
}

/** The SafetyStorage of one incarnation: reads and writes `durable` until `cut()`. */
export class IncarnationSafetyStorage implements SafetyStorage {
  private alive = true;

  /**
   * `defer` schedules the end of a synced write on a later event (the
   * scenario's queue, at the same virtual time): a crash already scheduled,
   * such as one in the middle of a broadcast, loses the write.
   */
  constructor(
    private readonly durable: DurableSafety,
    private readonly defer?: (land: () => void) => void,
  ) {}

  async load(): Promise<SafetyData | null> {
    return this.durable.data === null ? null : decodeSafetyData(this.durable.data);
  }

  async save(data: SafetyData): Promise<void> {
    // A dead process writes nothing, and its caller never hears back.
    if (!this.alive) return new Promise<void>(() => {});
    // Bytes, not the object: a later in-memory change must not become durable by aliasing.
    const bytes = encode(SafetyDataCodec, data);
    const land = (): void => {
      this.durable.data = bytes;
      this.durable.saves++;
    };
    if (this.defer === undefined) return land();
    const defer = this.defer;
    return new Promise<void>((resolve) =>
      defer(() => {
        if (!this.alive) return; // died before the write landed: lost, and nobody hears back
        land();
        resolve();
      }),
    );
  }

  cut(): void {
    this.alive = false;
  }
}

const qcRound = (qc: QuorumCert): number => qc.voteData.block.round;

/**
 * The blocks and certificates node/ keeps, fed by engine events: what
 * EngineRecovery needs, and every block the node ran (node/ serves a peer's
 * fetch from the engine's tree, then from its database by parent links).
 */
export class RecoveryStore {
  /** Every block recorded, committed or not (the node's block database). */
  private readonly all = new Map<string, Block>();
  private root: Block | null = null;
  private rootCommitQc: QuorumCert | null = null;
  private readonly blocks = new Map<string, Block>();
  private highQc: QuorumCert | null = null;
  private highTc: TimeoutCert | null = null;

  record(e: EngineEvent): void {
    switch (e.type) {
      case 'block': {
        const k = toHex(blockId(e.block));
        this.all.set(k, e.block);
        if (this.root === null || e.block.height > this.root.height) this.blocks.set(k, e.block);
        return;
      }
      case 'committed': {
        const last = e.blocks[e.blocks.length - 1];
        if (last !== undefined) this.setRoot(last, e.commitQc);
        return;
      }
      case 'rootAdvanced':
        this.setRoot(e.block, e.commitQc);
        return;
      case 'qc':
        if (this.highQc === null || qcRound(e.qc) > qcRound(this.highQc)) this.highQc = e.qc;
        return;
      case 'tc':
        if (this.highTc === null || e.tc.round > this.highTc.round) this.highTc = e.tc;
        return;
      default:
        return;
    }
  }

  /** The recovery option for a restart, or undefined when nothing was ever stored (start from genesis). */
  recovery(genesis: Block, genesisQc: QuorumCert): EngineRecovery | undefined {
    if (this.root === null && this.blocks.size === 0 && this.highQc === null && this.highTc === null)
      return undefined;
    return {
      root: this.root ?? genesis,
      rootCommitQc: this.rootCommitQc ?? genesisQc,
      blocks: [...this.blocks.values()],
      ...(this.highQc !== null ? { highQc: this.highQc } : {}),
      highTc: this.highTc,
    };
  }

  /** A block of the database, or undefined. */
  block(id: Uint8Array): Block | undefined {
    return this.all.get(toHex(id));
  }

  /** The disk is lost (all but the safety data, which lives elsewhere). */
  clear(): void {
    this.all.clear();
    this.root = null;
    this.rootCommitQc = null;
    this.blocks.clear();
    this.highQc = null;
    this.highTc = null;
  }

  private setRoot(block: Block, commitQc: QuorumCert): void {
    this.all.set(toHex(blockId(block)), block);
    if (this.root !== null && block.height <= this.root.height) return;
    this.root = block;
    this.rootCommitQc = commitQc;
    for (const [k, b] of this.blocks) if (b.height <= block.height) this.blocks.delete(k);
  }
}
