/**
 * Failures of block sync (what a peer answered, or what we could not do):
 * - MALFORMED: a request or response that is not the canonical encoding, or
 *   of the wrong kind (REJECT: the peer is scored down).
 * - NOT_LINKED: blocks that do not extend our committed tip one by one.
 * - WRONG_PLACE: a block of another chain, committee or epoch.
 * - PAYLOAD_DIGEST: a payload whose digest is not the one the block id commits to.
 * - NO_CERTIFICATE: no valid commit certificate covers the blocks (a block
 *   is committed only with a QC of the committee naming it, or a hash link
 *   to a block that has one).
 * - BAD_CERTIFICATE: a certificate that does not verify against the committee.
 * - EXECUTION_FAILED: a certified block our execution refuses (our state
 *   disagrees with the committee's: stop and report, never commit it).
 * - NO_PEERS: nobody to sync from.
 */
import { HotshardError } from '../../core/errors.js';

export type SyncErrorCode =
  | 'MALFORMED'
  | 'NOT_LINKED'
  | 'WRONG_PLACE'
  | 'PAYLOAD_DIGEST'
  | 'NO_CERTIFICATE'
  | 'BAD_CERTIFICATE'
  | 'EXECUTION_FAILED'
  | 'NO_PEERS';
export class SyncError extends HotshardError<SyncErrorCode> {}
