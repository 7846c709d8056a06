/**
 * Canonical wire formats of the consensus protocol (DESIGN.md, Encoding and
 * hashing): core/codec.ts structs (fixed-order msgpack arrays, a version
 * first where a structure is hashed, signed or sent on its own), with a size
 * cap on every list and byte string.
 *
 * The block id is the domain-tagged SHA-256 of the canonical block HEADER:
 * every field but the payload bytes, which the header commits to through
 * `payloadDigest` (so a block can be identified, certified and fetched
 * without hashing its payload twice).
 */
import {
  bytes32,
  bytesMax,
  decode,
  encode,
  list,
  optional,
  struct,
  u16,
  u32,
  u8,
  uint,
  union,
  type Codec,
  type Wire,
} from '../core/codec.js';
import { CodecError } from '../core/errors.js';
import { Tags, taggedHash } from '../core/hash.js';
import { MAX_COMMITTEE_SIZE } from './committee.js';
import { ConsensusError } from './errors.js';
import type {
  Block,
  BlockId,
  BlockInfo,
  BlockRequest,
  BlockResponse,
  ConsensusMessage,
  Proposal,
  QuorumCert,
  SafetyData,
  TimeoutCert,
  TimeoutMsg,
  Vote,
  VoteData,
} from './types.js';

export type { ConsensusMessage, BlockRequest, BlockResponse } from './types.js';

/** The only block version this engine produces and accepts. */
export const BLOCK_VERSION = 1;
/** Wire version of the certificate and message structs. */
export const WIRE_VERSION = 1;
/** The largest signature accepted on the wire (ed25519 is 64 bytes; the scheme checks the exact length). */
export const MAX_SIGNATURE_BYTES = 128;
/** Payload bytes of one block (DESIGN.md: block limit 1 MiB; the rest is headroom for certificates). */
export const MAX_PAYLOAD_BYTES = 1536 * 1024;
/** The largest encoded consensus message (DESIGN.md: largest gossip message 2 MiB, the same on every node). */
export const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
/** Blocks per BlockRequest / BlockResponse. */
export const MAX_FETCH_BLOCKS = 64;
const MAX_BITMAP_BYTES = MAX_COMMITTEE_SIZE / 8;

/** Casts a structurally checked codec to the contract's readonly type. */
function typed<T>(c: Codec<any>): Codec<T> {
  return c as Codec<T>;
}

function fail(code: 'RANGE' | 'VERSION', path: string, msg: string): never {
  throw new CodecError(code, `${path || '<root>'}: ${msg}`, { path });
}

/** A u8 field that must hold exactly `value` (the block version). */
function constant(value: number, name: string): Codec<number> {
  return {
    kind: `${name}=${value}`,
    toWire(v, path) {
      if (v !== value) fail('VERSION', path, `${name} must be ${value}, got ${String(v)}`);
      return u8.toWire(v, path);
    },
    fromWire(w, path) {
      const v = u8.fromWire(w, path);
      if (v !== value) fail('VERSION', path, `${name} must be ${value}, got ${v}`);
      return v;
    },
  };
}

/** A uint in [1, max]. */
function uintRange(min: number, max: number): Codec<number> {
  const check = (v: number, path: string): number => {
    if (v < min || v > max) fail('RANGE', path, `expected ${min}..${max}, got ${v}`);
    return v;
  };
  return {
    kind: `uint${min}..${max}`,
    toWire(v, path) {
      return u16.toWire(check(v, path), path);
    },
    fromWire(w, path) {
      return check(u16.fromWire(w, path), path);
    },
  };
}

/** Like optional(), but an absent (undefined) field encodes as null too. */
function nullable<T>(inner: Codec<T>): Codec<T | null> {
  const opt = optional(inner);
  return {
    kind: opt.kind,
    toWire(v, path): Wire {
      return opt.toWire(v === undefined ? null : v, path);
    },
    fromWire(w, path) {
      return opt.fromWire(w, path);
    },
  };
}

const signature = bytesMax(MAX_SIGNATURE_BYTES);
const bitmap = bytesMax(MAX_BITMAP_BYTES);
const signatures = list(signature, MAX_COMMITTEE_SIZE);

export const BlockInfoCodec: Codec<BlockInfo> = typed(
  struct('BlockInfo', [
    ['id', bytes32],
    ['round', uint],
    ['height', uint],
  ] as const),
);

export const VoteDataCodec: Codec<VoteData> = typed(
  struct('VoteData', [
    ['block', BlockInfoCodec],
    ['parent', BlockInfoCodec],
    ['commit', optional(BlockInfoCodec)],
  ] as const),
);

export const QuorumCertCodec: Codec<QuorumCert> = typed(
  struct(
    'QuorumCert',
    [
      ['voteData', VoteDataCodec],
      ['signers', bitmap],
      ['signatures', signatures],
    ] as const,
    WIRE_VERSION,
  ),
);

export const TimeoutCertCodec: Codec<TimeoutCert> = typed(
  struct(
    'TimeoutCert',
    [
      ['round', uint],
      ['signers', bitmap],
      ['hqcRounds', list(uint, MAX_COMMITTEE_SIZE)],
      ['signatures', signatures],
      ['highQc', QuorumCertCodec],
    ] as const,
    WIRE_VERSION,
  ),
);

const headerFields = [
  ['version', constant(BLOCK_VERSION, 'block version')],
  ['chainId', uint],
  ['committeeId', u32],
  ['epoch', uint],
  ['round', uint],
  ['height', uint],
  ['parentId', bytes32],
  ['proposer', u16],
  ['timestamp', uint],
  ['payloadDigest', bytes32],
  ['qc', QuorumCertCodec],
  ['tc', optional(TimeoutCertCodec)],
] as const;

/** The block header: what the block id hashes. The payload is committed through `payloadDigest`. */
export const BlockHeaderCodec: Codec<Omit<Block, 'payload'>> = typed(struct('BlockHeader', headerFields));

/** A whole block: the header fields, then the payload bytes. */
export const BlockCodec: Codec<Block> = typed(
  struct('Block', [...headerFields, ['payload', bytesMax(MAX_PAYLOAD_BYTES)]] as const),
);

export const VoteCodec: Codec<Vote> = typed(
  struct(
    'Vote',
    [
      ['voteData', VoteDataCodec],
      ['epoch', uint],
      ['signer', u16],
      ['signature', signature],
    ] as const,
    WIRE_VERSION,
  ),
);

export const TimeoutMsgCodec: Codec<TimeoutMsg> = typed(
  struct(
    'TimeoutMsg',
    [
      ['epoch', uint],
      ['round', uint],
      ['highQc', QuorumCertCodec],
      ['signer', u16],
      ['signature', signature],
      ['lastVote', optional(VoteCodec)],
      ['highTc', nullable(TimeoutCertCodec)],
    ] as const,
    WIRE_VERSION,
  ),
);

export const ProposalCodec: Codec<Proposal> = typed(
  struct(
    'Proposal',
    [
      ['block', BlockCodec],
      ['signature', signature],
      ['highCommitQc', optional(QuorumCertCodec)],
    ] as const,
    WIRE_VERSION,
  ),
);

export const BlockRequestCodec: Codec<BlockRequest> = typed(
  struct(
    'BlockRequest',
    [
      ['blockId', bytes32],
      ['count', uintRange(1, MAX_FETCH_BLOCKS)],
    ] as const,
    WIRE_VERSION,
  ),
);

export const BlockResponseCodec: Codec<BlockResponse> = typed(
  struct('BlockResponse', [['blocks', list(BlockCodec, MAX_FETCH_BLOCKS)]] as const, WIRE_VERSION),
);

export const ConsensusMessageCodec: Codec<ConsensusMessage> = typed(
  union('ConsensusMessage', {
    proposal: ProposalCodec,
    vote: VoteCodec,
    timeout: TimeoutMsgCodec,
    blockRequest: BlockRequestCodec,
    blockResponse: BlockResponseCodec,
  }),
);

const SAFETY_DATA_V1_FIELDS = [
  ['epoch', uint],
  ['lastVotedRound', uint],
  ['oneChainRound', uint],
  ['lastVote', optional(VoteCodec)],
  ['highestTimeoutRound', uint],
  ['lastTimeout', optional(TimeoutMsgCodec)],
] as const;

/** The safety data as version 1 wrote it (no proposal reservation): read by decodeSafetyData only. */
const SafetyDataV1Codec = struct('SafetyData', SAFETY_DATA_V1_FIELDS, 1);

/** Persisted safety data, version 2 (node/ stores it with decodeSafetyData / encode). */
export const SafetyDataCodec: Codec<SafetyData> = typed(
  struct('SafetyData', [...SAFETY_DATA_V1_FIELDS, ['proposalRound', uint]] as const, 2),
);

/**
 * Decodes a stored safety data record of version 2, or of version 1 (written
 * before proposals were reserved) as version 2 with proposalRound 0: a v1
 * leader saved its own vote before its proposal left, so its last voted
 * round already covers every round it proposed in.
 */
export function decodeSafetyData(bytes: Uint8Array, maxBytes?: number): SafetyData {
  try {
    return decode(SafetyDataCodec, bytes, maxBytes);
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    let v1: Omit<SafetyData, 'proposalRound'>;
    try {
      v1 = decode(SafetyDataV1Codec, bytes, maxBytes);
    } catch {
      throw err; // neither version: report what is wrong against the current one
    }
    return { ...v1, proposalRound: 0 };
  }
}

// Block ids are computed often (every proposal, vote check and fetch); blocks
// are immutable values, so the id is cached per object.
const idCache = new WeakMap<object, BlockId>();

/** The block id: taggedHash('hotshard/block/v1', canonical header). Blocks must not be mutated after creation. */
export function blockId(block: Block): BlockId {
  let id = idCache.get(block);
  if (id === undefined) {
    id = taggedHash(Tags.block, encode(BlockHeaderCodec, block));
    idCache.set(block, id);
  }
  return id;
}

/** The BlockInfo a vote or certificate names for `block`. */
export function blockInfo(block: Block): BlockInfo {
  return { id: blockId(block), round: block.round, height: block.height };
}

/** Encodes a consensus message; throws ConsensusError MALFORMED / OVERSIZED. */
export function encodeConsensusMessage(msg: ConsensusMessage, maxBytes = MAX_MESSAGE_BYTES): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = encode(ConsensusMessageCodec, msg);
  } catch (err) {
    throw asConsensusError(err);
  }
  if (bytes.length > maxBytes)
    throw new ConsensusError('OVERSIZED', `message of ${bytes.length} bytes exceeds ${maxBytes}`, {
      size: bytes.length,
    });
  return bytes;
}

/** Decodes a consensus message from canonical bytes; throws ConsensusError MALFORMED / OVERSIZED. */
export function decodeConsensusMessage(bytes: Uint8Array, maxBytes = MAX_MESSAGE_BYTES): ConsensusMessage {
  if (bytes instanceof Uint8Array && bytes.length > maxBytes) {
    throw new ConsensusError('OVERSIZED', `message of ${bytes.length} bytes exceeds ${maxBytes}`, {
      size: bytes.length,
    });
  }
  try {
    return decode(ConsensusMessageCodec, bytes, maxBytes);
  } catch (err) {
    throw asConsensusError(err);
  }
}

/** Maps codec failures to consensus codes: a too-long field or list is OVERSIZED, anything else MALFORMED. */
export function asConsensusError(err: unknown): ConsensusError {
  if (err instanceof ConsensusError) return err;
  if (err instanceof CodecError) {
    const oversized = err.code === 'TOO_LARGE' || (err.code === 'LENGTH' && /at most/.test(err.message));
    return new ConsensusError(
      oversized ? 'OVERSIZED' : 'MALFORMED',
      err.message,
      { codec: err.code, path: err.context.path },
      { cause: err },
    );
  }
  return new ConsensusError(
    'MALFORMED',
    err instanceof Error ? err.message : String(err),
    {},
    { cause: err },
  );
}
