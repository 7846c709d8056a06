/**
 * The repositories of one committee's chain (a shard or the beacon) over the
 * node database, and the one atomic write of a commit.
 *
 * Blocks and certificates are stored in their canonical encodings
 * (consensus/messages.ts), so a stored record decodes only if every field is
 * valid. Buckets whose records belong to the state machine (state nodes,
 * accounts index, receipts, outboxes) hold bytes that their owner encodes.
 */
import type { Block, BlockId, QuorumCert } from '../../consensus/types.js';
import { BlockCodec, QuorumCertCodec, blockId } from '../../consensus/messages.js';
import { bytes32, struct, u32, uint } from '../../core/codec.js';
import { equalBytes } from '../../core/bytes.js';
import { Bucket } from './buckets.js';
import {
  bytes32Key,
  bytesKey,
  bytesValue,
  canonicalValue,
  stringKey,
  uintKey,
  uintValue,
  type ValueCodec,
} from './codecs.js';
import type { NodeDatabase } from './database.js';
import type { Repository } from './repository.js';
import type { WriteBatch } from './write-batch.js';
import { DurableSafetyStorage } from './safety-storage.js';
import { StorageError } from './errors.js';

/** Where a committed transaction is: its block height and index in the block. */
export interface TxLocation {
  readonly height: number;
  readonly index: number;
}

const TxLocationCodec = struct('TxLocation', [
  ['height', uint],
  ['index', u32],
] as const);

const blockIdValue: ValueCodec<Uint8Array> = canonicalValue(bytes32);

/** Names of the chain metadata records (Bucket.chainMeta). */
export const ChainMetaKey = {
  committedHeight: 'committedHeight',
  genesisHash: 'genesisHash',
  /** The height whose state tree is whole on disk (absent: the committed height; node/chain/tree-journal.ts). */
  stateTreeHeight: 'stateTreeHeight',
} as const;

/** A committed block with its height, as read back for sync. */
export interface CommittedBlock {
  readonly height: number;
  readonly id: BlockId;
  readonly block: Block;
}

export class ChainStore {
  readonly blocks: Repository<BlockId, Block>;
  readonly blockIdByHeight: Repository<number, BlockId>;
  readonly commitCerts: Repository<number, QuorumCert>;
  readonly stateNodes: Repository<Uint8Array, Uint8Array>;
  readonly accounts: Repository<Uint8Array, Uint8Array>;
  readonly receipts: Repository<Uint8Array, Uint8Array>;
  readonly txLocations: Repository<Uint8Array, TxLocation>;
  readonly uncommitted: Repository<BlockId, Block>;
  readonly outbox: Repository<Uint8Array, Uint8Array>;
  readonly stateJournal: Repository<number, Uint8Array>;
  readonly epochChangeProofs: Repository<number, QuorumCert>;
  readonly meta: Repository<string, Uint8Array>;
  readonly safety: DurableSafetyStorage;

  /**
   * `safetyDb` holds the safety data: by default the same database, in a
   * validator a small database of its own (docs/storage.md), so that the
   * synced write before a vote never waits behind a commit batch in
   * LevelDB's write queue, nor syncs that batch's log with it.
   */
  constructor(
    readonly db: NodeDatabase,
    readonly committeeId: number,
    safetyDb: NodeDatabase = db,
  ) {
    const block = canonicalValue(BlockCodec);
    const qc = canonicalValue(QuorumCertCodec);
    this.blocks = db.repository(Bucket.blockById, committeeId, bytes32Key, block);
    this.blockIdByHeight = db.repository(Bucket.blockIdByHeight, committeeId, uintKey, blockIdValue);
    this.commitCerts = db.repository(Bucket.commitCertByHeight, committeeId, uintKey, qc);
    this.stateNodes = db.repository(Bucket.stateNode, committeeId, bytes32Key, bytesValue);
    this.accounts = db.repository(Bucket.accountIndex, committeeId, bytesKey, bytesValue);
    this.receipts = db.repository(Bucket.receiptByTxHash, committeeId, bytes32Key, bytesValue);
    this.txLocations = db.repository(
      Bucket.txLocationByHash,
      committeeId,
      bytes32Key,
      canonicalValue(TxLocationCodec),
    );
    this.uncommitted = db.repository(Bucket.uncommittedBlock, committeeId, bytes32Key, block);
    this.outbox = db.repository(Bucket.outbox, committeeId, bytesKey, bytesValue);
    this.stateJournal = db.repository(Bucket.stateJournal, committeeId, uintKey, bytesValue);
    this.epochChangeProofs = db.repository(Bucket.epochChangeProof, committeeId, uintKey, qc);
    this.meta = db.repository(Bucket.chainMeta, committeeId, stringKey, bytesValue);
    this.safety = new DurableSafetyStorage(safetyDb, committeeId);
  }

  /** The highest committed height, or null before the first commit. */
  committedHeight(): number | null {
    const b = this.meta.getSync(ChainMetaKey.committedHeight);
    return b === null ? null : decodeMetaUint(b, ChainMetaKey.committedHeight);
  }

  /**
   * The height whose state tree is whole on disk: the committed height, or
   * an earlier one while the newest commits' tree nodes are held in memory
   * (node/chain/tree-journal.ts). Null when never recorded (a database whose
   * every commit wrote its nodes).
   */
  stateTreeHeight(): number | null {
    const b = this.meta.getSync(ChainMetaKey.stateTreeHeight);
    return b === null ? null : decodeMetaUint(b, ChainMetaKey.stateTreeHeight);
  }

  /** Adds the record that the tree of `height` is whole on disk to `batch`. */
  stageStateTreeHeight(batch: WriteBatch, height: number): void {
    batch.put(this.meta, ChainMetaKey.stateTreeHeight, uintValue.encode(height));
  }

  genesisHash(): Uint8Array | null {
    return this.meta.getSync(ChainMetaKey.genesisHash);
  }

  /** Records the genesis hash once; a different one on an existing database is refused (wrong network). */
  async initGenesis(hash: Uint8Array): Promise<void> {
    const existing = this.genesisHash();
    if (existing !== null) {
      if (!equalBytes(existing, hash)) {
        throw new StorageError('CORRUPT', 'the database belongs to another genesis', {
          committeeId: this.committeeId,
        });
      }
      return;
    }
    await this.meta.put(ChainMetaKey.genesisHash, hash, { sync: true });
  }

  /**
   * Adds a commit to `batch`: each block (oldest first) by id and by height,
   * the commit certificate under the height of the block it names (the last
   * one), the removal of their uncommitted records, and the committed height.
   * The state machine adds its state nodes, receipts and indexes to the same
   * batch; `batch.commit()` then writes all of it atomically.
   *
   * Throws BAD_VALUE (before touching the batch) when the blocks are not a
   * parent-linked chain of consecutive heights ending at the block that
   * `commitQc` commits, or do not continue `previousHeight` (the stored
   * committed height by default; a chain whose earlier commit is still being
   * written passes the height that commit ends at).
   */
  stageCommit(
    batch: WriteBatch,
    blocks: readonly Block[],
    commitQc: QuorumCert,
    previousHeight: number | null = this.committedHeight(),
  ): void {
    if (blocks.length === 0) throw new StorageError('BAD_VALUE', 'a commit needs at least one block');
    const last = blocks[blocks.length - 1]!;
    const commit = commitQc.voteData.commit;
    const lastId = blockId(last);
    if (commit === null || !equalBytes(commit.id, lastId) || commit.height !== last.height) {
      throw new StorageError(
        'BAD_VALUE',
        'the commit certificate does not name the last block of the commit',
        { height: last.height },
      );
    }
    const ids = blocks.map((b) => blockId(b));
    for (let i = 1; i < blocks.length; i++) {
      if (blocks[i]!.height !== blocks[i - 1]!.height + 1 || !equalBytes(blocks[i]!.parentId, ids[i - 1]!)) {
        throw new StorageError(
          'BAD_VALUE',
          'committed blocks must be a parent-linked chain of consecutive heights',
          { index: i },
        );
      }
    }
    if (previousHeight !== null && blocks[0]!.height !== previousHeight + 1) {
      throw new StorageError(
        'BAD_VALUE',
        `commit starts at height ${blocks[0]!.height}, expected ${previousHeight + 1}`,
        {
          committed: previousHeight,
          first: blocks[0]!.height,
        },
      );
    }
    blocks.forEach((b, i) => {
      batch.put(this.blocks, ids[i]!, b);
      batch.put(this.blockIdByHeight, b.height, ids[i]!);
      batch.del(this.uncommitted, ids[i]!);
    });
    batch.put(this.commitCerts, last.height, commitQc);
    batch.put(this.meta, ChainMetaKey.committedHeight, uintValue.encode(last.height));
  }

  /** Adds state tree nodes (content-addressed: by byteKey of their 32-byte hash, as the tree keys them) to `batch`. */
  stageStateNodes(batch: WriteBatch, nodes: Iterable<readonly [hashKey: string, bytes: Uint8Array]>): void {
    for (const [k, bytes] of nodes) {
      if (k.length !== 32)
        throw new StorageError('BAD_KEY', `a state node's hash is 32 bytes, got a key of ${k.length}`);
      batch.putByteKey(this.stateNodes, k, bytes);
    }
  }

  /** A synchronous node reader for the state tree (`getNode(hash)`), over committed state nodes. */
  stateNodeReader(): { getNode(hash: Uint8Array): Uint8Array | undefined } {
    return { getNode: (hash) => this.stateNodes.getSync(hash) ?? undefined };
  }

  /** The committed block at `height`, or null. */
  async blockAtHeight(height: number): Promise<Block | null> {
    const id = await this.blockIdByHeight.get(height);
    return id === null ? null : this.blocks.get(id);
  }

  /**
   * Up to `count` committed blocks from height `from` upwards (fewer at the
   * tip), read with two getMany calls.
   */
  async committedBlocks(from: number, count: number): Promise<CommittedBlock[]> {
    const tip = this.committedHeight();
    if (tip === null || from > tip || count <= 0) return [];
    const heights: number[] = [];
    for (let h = from; h <= Math.min(tip, from + count - 1); h++) heights.push(h);
    const ids = await this.blockIdByHeight.getMany(heights);
    // Stop at the first gap (a database written by this code has none).
    const gap = ids.indexOf(null);
    const present = (gap < 0 ? ids : ids.slice(0, gap)) as BlockId[];
    const blocks = await this.blocks.getMany(present);
    const out: CommittedBlock[] = [];
    for (let i = 0; i < present.length; i++) {
      const block = blocks[i];
      if (block === null || block === undefined) break;
      out.push({ height: block.height, id: present[i]!, block });
    }
    return out;
  }

  /**
   * The commit certificate with the lowest height >= `height`: it proves the
   * block at that height and, through parent links, every block below it.
   */
  async commitCertAtOrAbove(height: number): Promise<{ height: number; qc: QuorumCert } | null> {
    for await (const [h, qc] of this.commitCerts.entries({ gte: height, limit: 1 })) return { height: h, qc };
    return null;
  }

  /** Keeps an executed, not yet committed block, so a restart can re-execute it. */
  async putUncommitted(block: Block): Promise<void> {
    await this.uncommitted.put(blockId(block), block);
  }

  /** The uncommitted blocks kept for recovery, sorted by height. */
  async listUncommitted(): Promise<Block[]> {
    const all = (await this.uncommitted.list()).map(([, b]) => b);
    return all.sort((a, b) => a.height - b.height || a.round - b.round);
  }
}

function decodeMetaUint(b: Uint8Array, name: string): number {
  try {
    return uintValue.decode(b);
  } catch (err) {
    throw new StorageError('CORRUPT', `chain metadata ${name} does not decode`, {}, { cause: err });
  }
}
