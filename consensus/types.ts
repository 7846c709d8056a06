/**
 * The contract between the consensus engine and everything around it
 * (simulator, node). The engine (Jolteon / DiemBFT v4, DESIGN.md Consensus)
 * is deterministic: no network, disk, clock or randomness of its own; it is
 * driven through the interfaces below.
 *
 * Wire formats (canonical codecs of these types) live in consensus/messages.ts.
 * Owner: consensus/. Changes here must keep consensus/sim and node/ compiling.
 */

export type Round = number;
export type Height = number;
export type Epoch = number;
/** 32-byte block id: the domain-tagged SHA-256 of the block header's canonical encoding. */
export type BlockId = Uint8Array;
/** Index of a validator in its committee (0-based, the order of the committee). */
export type ValidatorIndex = number;

/** The committee id of the beacon chain; shards are 0 .. shardCount-1. */
export const BEACON_COMMITTEE_ID = 0xffff;

/** Everything that places a signature in exactly one chain, committee and epoch. */
export interface ConsensusDomain {
  readonly chainId: number;
  /** Shard id, or BEACON_COMMITTEE_ID. */
  readonly committeeId: number;
  readonly epoch: Epoch;
}

export interface CommitteeMember {
  readonly publicKey: Uint8Array;
  /** Stake as a positive bigint; quorums are by stake, never by head count. */
  readonly stake: bigint;
}

/** The info of a block that a vote, QC or commit certificate names. */
export interface BlockInfo {
  readonly id: BlockId;
  readonly round: Round;
  readonly height: Height;
}

/**
 * What a vote signs (with the domain). `commit` is the block that becomes
 * committed if this vote's QC forms (the parent, when block.round ==
 * parent.round + 1), else null. A QC over such votes is therefore also the
 * commit certificate of `commit`.
 */
export interface VoteData {
  readonly block: BlockInfo;
  readonly parent: BlockInfo;
  readonly commit: BlockInfo | null;
}

/** A quorum certificate: vote data, the signer bitmap (by committee index) and one signature per signer in index order. */
export interface QuorumCert {
  readonly voteData: VoteData;
  readonly signers: Uint8Array; // bitmap, bit i (LSB-first within byte i>>3) = member i signed
  readonly signatures: readonly Uint8Array[];
}

/** A timeout certificate for `round`: each signer's high-QC round and signature, and the highest QC among them. */
export interface TimeoutCert {
  readonly round: Round;
  readonly signers: Uint8Array;
  readonly hqcRounds: readonly Round[];
  readonly signatures: readonly Uint8Array[];
  readonly highQc: QuorumCert;
}

/** A block as consensus sees it: header fields, the parent's QC, the TC when the previous round timed out, and an opaque payload. */
export interface Block {
  readonly version: number;
  readonly chainId: number;
  readonly committeeId: number;
  readonly epoch: Epoch;
  readonly round: Round;
  readonly height: Height;
  readonly parentId: BlockId;
  readonly proposer: ValidatorIndex;
  /** Milliseconds since the Unix epoch; greater than the parent's, at most the local clock plus a small bound. */
  readonly timestamp: number;
  /** Digest of the payload as the state machine defines it (BlockExecutor.payloadDigest); committed to by the block id. */
  readonly payloadDigest: Uint8Array;
  readonly payload: Uint8Array;
  readonly qc: QuorumCert;
  readonly tc: TimeoutCert | null;
}

export interface Vote {
  readonly voteData: VoteData;
  readonly epoch: Epoch;
  readonly signer: ValidatorIndex;
  readonly signature: Uint8Array;
}

export interface TimeoutMsg {
  readonly epoch: Epoch;
  readonly round: Round;
  readonly highQc: QuorumCert;
  readonly signer: ValidatorIndex;
  /** Over (domain tag, chain, committee, epoch, round, highQc round). */
  readonly signature: Uint8Array;
  /** The vote this signer cast in `round`, if any, so a faulty next leader cannot hide a QC. */
  readonly lastVote: Vote | null;
  /**
   * Not signed: the sender's highest TC (the one that took it into `round`,
   * when a TC did), so that a node that missed that TC can follow and join
   * the next TC. Absent is the same as null.
   */
  readonly highTc?: TimeoutCert | null;
}

export interface Proposal {
  readonly block: Block;
  /** The proposer's signature over the block id (domain-tagged). */
  readonly signature: Uint8Array;
  /** The sender's highest commit certificate, so late nodes learn what is committed. */
  readonly highCommitQc: QuorumCert | null;
}

/** Asks a peer for up to `count` blocks ending at `blockId`, newest first, walking parents. */
export interface BlockRequest {
  readonly blockId: BlockId;
  readonly count: number;
}

/** The answer to a BlockRequest: the blocks found, newest first (empty when `blockId` is unknown). */
export interface BlockResponse {
  readonly blocks: readonly Block[];
}

/** Every message of the consensus protocol (its canonical codec is in consensus/messages.ts). */
export type ConsensusMessage =
  | { readonly type: 'proposal'; readonly value: Proposal }
  | { readonly type: 'vote'; readonly value: Vote }
  | { readonly type: 'timeout'; readonly value: TimeoutMsg }
  | { readonly type: 'blockRequest'; readonly value: BlockRequest }
  | { readonly type: 'blockResponse'; readonly value: BlockResponse };

/** Signs and verifies. The real scheme is ed25519 (core/ed25519.ts); the simulator may use a fast test scheme. */
export interface SignatureScheme {
  readonly name: string;
  sign(message: Uint8Array, secret: Uint8Array): Uint8Array;
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

/** The node's key as the safety rules hold it. */
export interface Signer {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Persisted safety data (DESIGN.md: epoch, last voted round, one-chain round, last vote, highest timeout round). */
export interface SafetyData {
  readonly epoch: Epoch;
  readonly lastVotedRound: Round;
  readonly oneChainRound: Round;
  readonly lastVote: Vote | null;
  readonly highestTimeoutRound: Round;
  /** The last timeout signed, re-sent when asked again for the same round. */
  readonly lastTimeout: TimeoutMsg | null;
  /**
   * The highest round reserved for a proposal of ours: saved before a
   * proposal of that round is signed, so that after a restart no second
   * proposal is signed at or below it (v2; 0 in a v1 record).
   */
  readonly proposalRound: Round;
}

/** Durable storage of the safety data. `save` resolves only once the write is synced. */
export interface SafetyStorage {
  load(): Promise<SafetyData | null>;
  save(data: SafetyData): Promise<void>;
}

/** Deterministic time: the engine never reads a real clock. */
export interface Clock {
  now(): number;
  /** Calls `fn` after `delayMs`; returns a cancel function. */
  setTimer(delayMs: number, fn: () => void): () => void;
}

/** Outbound messages. Delivery is best effort; the engine tolerates loss. */
export interface ConsensusNetwork {
  broadcastProposal(p: Proposal): void;
  sendVote(to: ValidatorIndex, v: Vote): void;
  broadcastTimeout(t: TimeoutMsg): void;
  /** Fetches up to `count` blocks ending at `blockId`, newest first, walking parents, from `peer` (a hint). */
  fetchBlocks(peer: ValidatorIndex, blockId: BlockId, count: number): Promise<Block[]>;
}

/** The result of executing a block's payload on its parent's state. */
export type ExecutionVerdict = { ok: true } | { ok: false; reason: string };

/**
 * The state machine behind the payload. Blocks are executed before the vote
 * (the payload carries the post-state roots; a validator votes only if its
 * own execution agrees); results of uncommitted blocks live in overlays.
 */
export interface BlockExecutor {
  /** Digest of a payload committed to by the block id (for example the hash of the payload's header). */
  payloadDigest(payload: Uint8Array): Uint8Array;
  /** Builds the payload of a new block on `parent` (already executed). */
  buildPayload(parent: Block, round: Round, height: Height, timestamp: number): Promise<Uint8Array>;
  /** Executes `block` on its parent's results (the parent was executed or committed before). */
  execute(block: Block): Promise<ExecutionVerdict>;
  /**
   * Optional: true when the executed block `id` carries work (transactions).
   * A leader extending such a block proposes at once instead of waiting
   * minProposalIntervalMs (EngineTiming). Absent or false: it waits.
   */
  carriesWork?(id: BlockId): boolean;
  /** `blocks` (oldest first) became committed; `commitQc` is the certificate whose commit info names the last of them. */
  commit(blocks: readonly Block[], commitQc: QuorumCert): Promise<void>;
}

/** The leader schedule: deterministic over the committee, weighted by stake. */
export interface LeaderElection {
  leader(round: Round): ValidatorIndex;
}

/**
 * Deliberate bugs for mutation tests (test builds of the engine only): each,
 * switched on, must be caught by a seeded simulator sweep as a safety violation.
 */
export interface ConsensusMutations {
  /** Vote after a TC without checking qc.round >= max(tc high-QC rounds). */
  readonly dropTcHighQcClause?: boolean;
  /** Send votes before (and without) persisting the safety data. */
  readonly skipPersistBeforeVote?: boolean;
  /** Count quorums by number of signers instead of stake. */
  readonly quorumByHeads?: boolean;
  /** Commit a block as soon as it is certified (1-chain). */
  readonly commitOnOneChain?: boolean;
  /** Sign proposals without saving the round's reservation first. */
  readonly skipProposalReservation?: boolean;
}
