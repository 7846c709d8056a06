/**
 * The sync protocol (/hotshard/<chainId>/sync/1, one long-lived stream per
 * peer): canonical core/codec.ts structures, decoded with a size cap.
 *
 *   SyncRequest  = [tag, value]:
 *     0 blocksById [1, blockId, count]     up to `count` blocks ending at blockId, newest first
 *                                          (the engine's fetchBlocks; uncommitted or committed)
 *     1 committed  [1, from, count]        committed blocks from height `from` upwards
 *   SyncResponse = [tag, value]:
 *     0 blocks     [1, [block...]]         answer to blocksById
 *     1 committed  [1, tip, [block...], [[height, commitQc]...]]
 *                                          ascending blocks, the commit certificates
 *                                          stored at their heights, and the peer's tip
 */
import { decode, encode, list, struct, u16, uint, union, type Codec } from '../../core/codec.js';
import {
  BlockCodec,
  BlockRequestCodec,
  BlockResponseCodec,
  QuorumCertCodec,
} from '../../consensus/messages.js';
import type { Block, BlockRequest, BlockResponse, QuorumCert } from '../../consensus/types.js';
import { CodecError } from '../../core/errors.js';
import { SyncError } from './errors.js';

export const SYNC_VERSION = 1;
/** Blocks in one committed response: a cap on the list; the byte budget usually binds first. */
export const MAX_SYNC_BLOCKS = 256;
/** The largest sync message (the network's request-response frame cap is 4 MiB; leave room for the frame header). */
export const MAX_SYNC_MESSAGE_BYTES = 4 * 1024 * 1024 - 1024;

export interface CommittedRequest {
  readonly from: number;
  readonly count: number;
}

export interface CertAtHeight {
  readonly height: number;
  readonly qc: QuorumCert;
}

export interface CommittedResponse {
  /** The responder's committed height. */
  readonly tip: number;
  /** Consecutive committed blocks, ascending from the requested height. */
  readonly blocks: readonly Block[];
  /** Commit certificates stored at heights of `blocks` (each names the block at its height). */
  readonly certs: readonly CertAtHeight[];
}

export type SyncRequest =
  | { readonly type: 'blocksById'; readonly value: BlockRequest }
  | { readonly type: 'committed'; readonly value: CommittedRequest };
export type SyncResponse =
  | { readonly type: 'blocks'; readonly value: BlockResponse }
  | { readonly type: 'committed'; readonly value: CommittedResponse };

const countCodec: Codec<number> = {
  kind: 'count1..256',
  toWire(v, path) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_SYNC_BLOCKS)
      throw new CodecError('RANGE', `${path}: count must be 1..${MAX_SYNC_BLOCKS}`, { path });
    return u16.toWire(v, path);
  },
  fromWire(w, path) {
    const v = u16.fromWire(w, path);
    if (v < 1 || v > MAX_SYNC_BLOCKS)
      throw new CodecError('RANGE', `${path}: count must be 1..${MAX_SYNC_BLOCKS}`, { path });
    return v;
  },
};

const CommittedRequestCodec = struct(
  'SyncCommittedRequest',
  [
    ['from', uint],
    ['count', countCodec],
  ] as const,
  SYNC_VERSION,
);
const CertAtHeightCodec = struct('CertAtHeight', [
  ['height', uint],
  ['qc', QuorumCertCodec],
] as const);
const CommittedResponseCodec = struct(
  'SyncCommittedResponse',
  [
    ['tip', uint],
    ['blocks', list(BlockCodec, MAX_SYNC_BLOCKS)],
    ['certs', list(CertAtHeightCodec, MAX_SYNC_BLOCKS)],
  ] as const,
  SYNC_VERSION,
);

const SyncRequestCodec = union('SyncRequest', {
  blocksById: BlockRequestCodec,
  committed: CommittedRequestCodec,
}) as unknown as Codec<SyncRequest>;
const SyncResponseCodec = union('SyncResponse', {
  blocks: BlockResponseCodec,
  committed: CommittedResponseCodec,
}) as unknown as Codec<SyncResponse>;

function malformed(what: string, err: unknown): SyncError {
  return new SyncError(
    'MALFORMED',
    `${what}: ${err instanceof Error ? err.message : String(err)}`,
    {},
    { cause: err },
  );
}

export function encodeSyncRequest(r: SyncRequest): Uint8Array {
  return encode(SyncRequestCodec, r);
}

/** Decodes a request; throws SyncError MALFORMED for anything but the canonical encoding within the size cap. */
export function decodeSyncRequest(bytes: Uint8Array): SyncRequest {
  try {
    return decode(SyncRequestCodec, bytes, 1024);
  } catch (err) {
    throw malformed('sync request', err);
  }
}

export function encodeSyncResponse(r: SyncResponse): Uint8Array {
  return encode(SyncResponseCodec, r);
}

export function decodeSyncResponse(bytes: Uint8Array): SyncResponse {
  try {
    return decode(SyncResponseCodec, bytes, MAX_SYNC_MESSAGE_BYTES);
  } catch (err) {
    throw malformed('sync response', err);
  }
}

/** The encoded size of one block (for filling a response up to the byte budget). */
export function encodedBlockSize(b: Block): number {
  return encode(BlockCodec, b).length;
}
