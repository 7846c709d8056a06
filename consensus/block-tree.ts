/**
 * The tree of verified, executed blocks above the last committed block (the
 * root), with the highest QC, the highest commit certificate and the highest
 * TC (Aptos `block_storage`). Commit is the 2-chain rule: a QC whose commit
 * info names block B (its child of round B.round + 1 is certified) commits B
 * and every uncommitted ancestor; the tree is then pruned to B's subtree.
 *
 * A bounded window of recently committed blocks is kept so that peers that
 * lag a little can still fetch them; fetchMissingChain fetches the blocks a
 * certificate names that the tree lacks.
 */
import { equalBytes, toHex } from '../core/bytes.js';
import { ConsensusError, ensure } from './errors.js';
import { MAX_FETCH_BLOCKS, blockId } from './messages.js';
import type { Block, BlockId, BlockInfo, QuorumCert, Round, TimeoutCert, ValidatorIndex } from './types.js';

export const DEFAULT_RETAIN_COMMITTED = 256;

const key = (id: BlockId): string => toHex(id);
const qcRound = (qc: QuorumCert): Round => qc.voteData.block.round;

export interface BlockTreeOptions {
  /** The highest QC known at start (recovery); defaults to the root's commit certificate. */
  readonly highQc?: QuorumCert;
  readonly highTc?: TimeoutCert | null;
  /** Committed blocks kept for serving fetches. */
  readonly retainCommitted?: number;
}

export class BlockTree {
  /** Always the very object stored in `blocks` under its id: paths find the root by identity. */
  private rootBlock: Block;
  private rootQc: QuorumCert;
  /** Uncommitted blocks and the root, by id hex. */
  private readonly blocks = new Map<string, Block>();
  /** Recently committed blocks (below the root), oldest first by insertion. */
  private readonly committed = new Map<string, Block>();
  private readonly retain: number;
  private hqc: QuorumCert;
  private hcc: QuorumCert;
  private htc: TimeoutCert | null;

  constructor(root: Block, rootCommitQc: QuorumCert, opts: BlockTreeOptions = {}) {
    this.rootBlock = root;
    this.rootQc = rootCommitQc;
    this.blocks.set(key(blockId(root)), root);
    this.retain = opts.retainCommitted ?? DEFAULT_RETAIN_COMMITTED;
    this.hcc = rootCommitQc;
    this.hqc =
      opts.highQc !== undefined && qcRound(opts.highQc) > qcRound(rootCommitQc) ? opts.highQc : rootCommitQc;
    this.htc = opts.highTc ?? null;
  }

  get root(): Block {
    return this.rootBlock;
  }
  get rootCommitQc(): QuorumCert {
    return this.rootQc;
  }
  get highQc(): QuorumCert {
    return this.hqc;
  }
  get highCommitQc(): QuorumCert {
    return this.hcc;
  }
  get highTc(): TimeoutCert | null {
    return this.htc;
  }
  /** Uncommitted blocks plus the root. */
  get size(): number {
    return this.blocks.size;
  }

  /** True when `id` is the root or an uncommitted block of the tree. */
  has(id: BlockId): boolean {
    return this.blocks.has(key(id));
  }

  /** A block of the tree or of the recently committed window. */
  get(id: BlockId): Block | undefined {
    const k = key(id);
    return this.blocks.get(k) ?? this.committed.get(k);
  }

  /**
   * Adds a verified, executed block whose parent is in the tree. Returns false
   * when it was already there. Throws UNKNOWN_BLOCK without the parent and
   * INVALID_BLOCK when it does not follow the parent.
   */
  insert(block: Block): boolean {
    const k = key(blockId(block));
    if (this.blocks.has(k)) return false;
    const parent = this.blocks.get(key(block.parentId));
    if (parent === undefined)
      throw new ConsensusError('UNKNOWN_BLOCK', `parent of block ${k.slice(0, 16)} is not in the tree`);
    ensure(
      block.round > parent.round,
      'INVALID_BLOCK',
      `round ${block.round} is not above the parent's ${parent.round}`,
    );
    ensure(
      block.height === parent.height + 1,
      'INVALID_BLOCK',
      `height ${block.height} does not follow the parent's ${parent.height}`,
    );
    this.blocks.set(k, block);
    return true;
  }

  /** Records a verified QC; returns true when it is the new highest. */
  insertQc(qc: QuorumCert): boolean {
    if (qcRound(qc) <= qcRound(this.hqc)) return false;
    this.hqc = qc;
    return true;
  }

  /** Records a verified TC; returns true when it is the new highest. */
  insertTc(tc: TimeoutCert): boolean {
    if (this.htc !== null && tc.round <= this.htc.round) return false;
    this.htc = tc;
    return true;
  }

  /** The blocks from the root (exclusive) to `id` (inclusive), oldest first; null if `id` does not descend from the root. */
  pathFromRoot(id: BlockId): Block[] | null {
    const path: Block[] = [];
    let b = this.blocks.get(key(id));
    while (b !== undefined && b !== this.rootBlock) {
      path.push(b);
      b = this.blocks.get(key(b.parentId));
    }
    if (b !== this.rootBlock) return null;
    return path.reverse();
  }

  /**
   * Commits `id` and its uncommitted ancestors with `commitQc`; returns them
   * oldest first (empty when `id` is the root already) and prunes every
   * block that does not descend from the new root.
   */
  commit(id: BlockId, commitQc: QuorumCert): Block[] {
    const path = this.pathFromRoot(id);
    if (path === null)
      throw new ConsensusError('UNKNOWN_BLOCK', 'the block to commit does not descend from the root');
    if (path.length === 0) return [];
    this.setRoot(path[path.length - 1]!, commitQc);
    return path;
  }

  /**
   * State sync: makes `block` the root without a path to it; every block not
   * descending from it is dropped. When the tree already holds the block (a
   * restarted node that had it uncommitted), the tree's own copy becomes the
   * root: paths to the root end where they meet that copy, so a root that
   * is only an equal copy would leave no path, and nothing would commit.
   */
  resetRoot(block: Block, commitQc: QuorumCert): void {
    const k = key(blockId(block));
    let root = this.blocks.get(k);
    if (root === undefined) this.blocks.set(k, (root = block));
    this.setRoot(root, commitQc);
    if (qcRound(commitQc) > qcRound(this.hqc)) this.hqc = commitQc;
  }

  /** Up to `count` blocks ending at `id`, newest first, walking parents through the tree and the committed window. */
  ancestors(id: BlockId, count: number): Block[] {
    const out: Block[] = [];
    let b = this.get(id);
    while (b !== undefined && out.length < count) {
      out.push(b);
      if (b.height === 0) break;
      b = this.get(b.parentId);
    }
    return out;
  }

  private setRoot(newRoot: Block, commitQc: QuorumCert): void {
    const rootKey = key(blockId(newRoot));
    const keep = new Set<string>([rootKey]);
    // Descendants of the new root: walk each block up to the root's height.
    for (const [k, b] of this.blocks) {
      if (b.height <= newRoot.height) continue;
      let cur: Block | undefined = b;
      while (cur !== undefined && cur.height > newRoot.height) cur = this.blocks.get(key(cur.parentId));
      if (cur !== undefined && key(blockId(cur)) === rootKey) keep.add(k);
    }
    // The old root and the newly committed blocks join the committed window.
    const newlyCommitted: Block[] = [];
    let cur: Block | undefined = this.blocks.get(key(newRoot.parentId));
    while (cur !== undefined && cur.height >= this.rootBlock.height) {
      newlyCommitted.push(cur);
      if (cur === this.rootBlock) break;
      cur = this.blocks.get(key(cur.parentId));
    }
    for (const b of newlyCommitted.reverse()) this.remember(b);
    for (const k of [...this.blocks.keys()]) if (!keep.has(k)) this.blocks.delete(k);
    this.rootBlock = newRoot;
    this.rootQc = commitQc;
    if (qcRound(commitQc) >= qcRound(this.hcc)) this.hcc = commitQc;
  }

  private remember(b: Block): void {
    if (this.retain <= 0) return;
    this.committed.set(key(blockId(b)), b);
    while (this.committed.size > this.retain) {
      const oldest = this.committed.keys().next().value;
      if (oldest === undefined) break;
      this.committed.delete(oldest);
    }
  }
}

export interface FetchDeps {
  /** ConsensusNetwork.fetchBlocks, bounded in time by the caller. */
  readonly fetchBlocks: (peer: ValidatorIndex, blockId: BlockId, count: number) => Promise<Block[]>;
  /** Verifies one fetched block on its own (shape, proposer, its QC and TC); throws when invalid. */
  readonly check: (block: Block) => void;
  /** Told why a response was refused. */
  readonly onInvalid?: (err: unknown) => void;
}

/**
 * Fetches from `peer` the certified block `target` and its ancestors down to
 * the first block whose parent is in `tree`; returns them newest first, or
 * null on any failure (no answer, a wrong or invalid block, a chain that
 * does not reach the tree above its root).
 *
 * Hash links: each block must be exactly the one asked for (its id, round
 * and height are those named by the certificate above it: `target` for the
 * first, then each block's own QC for its parent), so the chain returned is
 * the one the certificates commit to, whatever the peer sends.
 */
export async function fetchMissingChain(
  tree: BlockTree,
  peer: ValidatorIndex,
  target: BlockInfo,
  deps: FetchDeps,
): Promise<Block[] | null> {
  const chain: Block[] = [];
  let want = target;
  for (;;) {
    const count = Math.min(MAX_FETCH_BLOCKS, want.height - tree.root.height);
    if (count <= 0) return null;
    let batch: Block[];
    try {
      batch = await deps.fetchBlocks(peer, want.id, count);
    } catch {
      return null;
    }
    if (!Array.isArray(batch) || batch.length === 0) return null;
    for (const b of batch.slice(0, count)) {
      try {
        deps.check(b);
        ensure(
          equalBytes(blockId(b), want.id) && b.round === want.round && b.height === want.height,
          'INVALID_BLOCK',
          'not the block asked for',
        );
      } catch (err) {
        deps.onInvalid?.(err);
        return null;
      }
      chain.push(b);
      if (tree.has(b.parentId)) return chain;
      // Its parent would be at or below our committed root without being it: not our chain.
      if (b.height - 1 <= tree.root.height) return null;
      want = b.qc.voteData.block;
    }
  }
}
