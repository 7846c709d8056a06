/**
 * Verification of committed blocks fetched from a peer, before any of them is
 * executed or written. A block is accepted as committed only when
 *   - it extends our committed tip by hash links, one height at a time;
 *   - it belongs to our chain, committee and epoch, and its payload has the
 *     digest its id commits to;
 *   - it is named by a commit certificate (a QC whose commit info is the
 *     block) that verifies against the committee, or it is an ancestor, by
 *     hash links, of such a block.
 * Blocks above the highest certified one are left for a later request.
 *
 * The result is split into segments, each ending at a certified block, so
 * each commit stores the certificate of its last block and the database
 * keeps a certificate wherever the committee made one (the next node that
 * syncs from us gets the same proofs).
 */
import { equalBytes, toHex } from '../../core/bytes.js';
import { blockId } from '../../consensus/messages.js';
import { verifyQc, type VerifyContext } from '../../consensus/verify.js';
import type { Block, QuorumCert } from '../../consensus/types.js';
import { SyncError } from './errors.js';
import type { CommittedResponse } from './messages.js';

export interface VerifiedSegment {
  /** Consecutive blocks, oldest first. */
  readonly blocks: readonly Block[];
  /** A verified QC whose commit info names the last of `blocks`. */
  readonly commitQc: QuorumCert;
}

export interface SyncTip {
  readonly id: Uint8Array;
  readonly height: number;
}

/**
 * Checks a committed response against our tip. Returns the verified
 * segments (possibly none, when the peer has nothing above our tip). Throws
 * SyncError (MALFORMED, NOT_LINKED, WRONG_PLACE, PAYLOAD_DIGEST,
 * NO_CERTIFICATE, BAD_CERTIFICATE): the peer sent something no honest node
 * sends.
 */
export function verifyCommittedResponse(
  ctx: VerifyContext,
  tip: SyncTip,
  resp: CommittedResponse,
  payloadDigest: (payload: Uint8Array) => Uint8Array,
): VerifiedSegment[] {
  const blocks = resp.blocks;
  if (blocks.length === 0) return [];
  const ids = blocks.map((b) => blockId(b));
  let parent = tip.id;
  blocks.forEach((b, i) => {
    if (b.height !== tip.height + 1 + i) {
      throw new SyncError('NOT_LINKED', `block ${i} has height ${b.height}, expected ${tip.height + 1 + i}`, {
        index: i,
      });
    }
    if (!equalBytes(b.parentId, parent)) {
      throw new SyncError('NOT_LINKED', `block at height ${b.height} does not extend ${toHex(parent)}`, {
        height: b.height,
      });
    }
    const d = ctx.domain;
    if (b.chainId !== d.chainId || b.committeeId !== d.committeeId || b.epoch !== d.epoch) {
      throw new SyncError(
        'WRONG_PLACE',
        `block at height ${b.height} is of chain ${b.chainId}, committee ${b.committeeId}, epoch ${b.epoch}`,
        { height: b.height },
      );
    }
    let digest: Uint8Array;
    try {
      digest = payloadDigest(b.payload);
    } catch (err) {
      throw new SyncError(
        'PAYLOAD_DIGEST',
        `block at height ${b.height}: payload does not decode`,
        { height: b.height },
        { cause: err },
      );
    }
    if (!equalBytes(digest, b.payloadDigest)) {
      throw new SyncError(
        'PAYLOAD_DIGEST',
        `block at height ${b.height}: payload digest differs from the header's`,
        { height: b.height },
      );
    }
    parent = ids[i]!;
  });

  // Certificates, by the index of the block they name.
  const certAt = new Map<number, QuorumCert>();
  for (const c of resp.certs) {
    const i = c.height - (tip.height + 1);
    if (i < 0 || i >= blocks.length) continue; // outside this response: useless, not wrong
    const commit = c.qc.voteData.commit;
    if (commit === null || commit.height !== c.height || !equalBytes(commit.id, ids[i]!)) {
      throw new SyncError(
        'BAD_CERTIFICATE',
        `the certificate at height ${c.height} does not commit the block at that height`,
        { height: c.height },
      );
    }
    try {
      verifyQc(ctx, c.qc);
    } catch (err) {
      throw new SyncError(
        'BAD_CERTIFICATE',
        `the certificate at height ${c.height} does not verify: ${(err as Error).message}`,
        { height: c.height },
        { cause: err },
      );
    }
    certAt.set(i, c.qc);
  }
  if (certAt.size === 0) {
    throw new SyncError(
      'NO_CERTIFICATE',
      `no commit certificate covers the ${blocks.length} blocks from height ${tip.height + 1}`,
      { from: tip.height + 1 },
    );
  }
  const segments: VerifiedSegment[] = [];
  let start = 0;
  for (const i of [...certAt.keys()].sort((a, b) => a - b)) {
    segments.push({ blocks: blocks.slice(start, i + 1), commitQc: certAt.get(i)! });
    start = i + 1;
  }
  return segments;
}
