/**
 * The serving side of the sync protocol: committed blocks by height with the
 * commit certificates stored at their heights, and blocks by id for the
 * engine's fetches (from the engine's tree, then from the database, so a
 * peer that lags by more than the engine's in-memory window still gets its
 * ancestors).
 */
import type { Block, BlockId, BlockRequest, BlockResponse } from '../../consensus/types.js';
import { MAX_FETCH_BLOCKS } from '../../consensus/messages.js';
import type { ChainStore } from '../storage/chain-store.js';
import {
  MAX_SYNC_BLOCKS,
  MAX_SYNC_MESSAGE_BYTES,
  decodeSyncRequest,
  encodeSyncResponse,
  encodedBlockSize,
  type CertAtHeight,
  type CommittedRequest,
  type CommittedResponse,
} from './messages.js';

/** Room for the response envelope and up to 256 certificates (about 400 bytes each) beside the blocks. */
const RESPONSE_OVERHEAD = 160 * 1024;
/** A blocksById answer stays within the consensus message cap (2 MiB), like the engine's own. */
const BY_ID_BUDGET = 2 * 1024 * 1024 - RESPONSE_OVERHEAD;

export interface SyncServerDeps {
  readonly store: ChainStore;
  /** The committed height (the chain's tip). */
  readonly committedHeight: () => number;
  /** The engine's answer from its block tree (uncommitted blocks and its recent committed window). */
  readonly serveFromEngine: (req: BlockRequest) => BlockResponse;
}

export class SyncServer {
  constructor(private readonly deps: SyncServerDeps) {}

  /** Answers one request (bytes in, bytes out). Throws SyncError MALFORMED on a request that does not decode. */
  async handle(data: Uint8Array): Promise<Uint8Array> {
    const req = decodeSyncRequest(data);
    if (req.type === 'blocksById')
      return encodeSyncResponse({ type: 'blocks', value: this.blocksById(req.value) });
    return encodeSyncResponse({ type: 'committed', value: await this.committed(req.value) });
  }

  /** Up to `count` blocks ending at `blockId`, newest first: the engine's tree first, then committed blocks by parent links. */
  blocksById(req: BlockRequest): BlockResponse {
    const count = Math.min(MAX_FETCH_BLOCKS, req.count);
    const out: Block[] = [...this.deps.serveFromEngine({ blockId: req.blockId, count }).blocks];
    let size = 0;
    for (const b of out) size += encodedBlockSize(b);
    let next: BlockId | null =
      out.length === 0
        ? req.blockId
        : out[out.length - 1]!.height === 0
          ? null
          : out[out.length - 1]!.parentId;
    while (next !== null && out.length < count) {
      const b = this.deps.store.blocks.getSync(next);
      if (b === null) break;
      size += encodedBlockSize(b);
      if (out.length > 0 && size > BY_ID_BUDGET) break;
      out.push(b);
      next = b.height === 0 ? null : b.parentId;
    }
    return { blocks: out };
  }

  /**
   * Committed blocks from `from`, at most `count`, extended up to the next
   * height that has a certificate (so the last block is provable), within
   * the byte budget; with every certificate stored at their heights.
   */
  async committed(req: CommittedRequest): Promise<CommittedResponse> {
    const tip = this.deps.committedHeight();
    if (req.from > tip || req.from < 1) return { tip, blocks: [], certs: [] };
    const store = this.deps.store;
    let end = Math.min(tip, req.from + req.count - 1);
    const above = await store.commitCertAtOrAbove(end);
    if (above !== null && above.height - req.from + 1 <= MAX_SYNC_BLOCKS) end = above.height;
    const found = await store.committedBlocks(req.from, end - req.from + 1);
    const blocks: Block[] = [];
    let size = RESPONSE_OVERHEAD;
    for (const f of found) {
      size += encodedBlockSize(f.block);
      if (blocks.length > 0 && size > MAX_SYNC_MESSAGE_BYTES) break;
      blocks.push(f.block);
    }
    const certs: CertAtHeight[] = [];
    if (blocks.length > 0) {
      const last = blocks[blocks.length - 1]!.height;
      for await (const [height, qc] of store.commitCerts.entries({ gte: req.from, lte: last }))
        certs.push({ height, qc });
    }
    return { tip, blocks, certs };
  }
}
