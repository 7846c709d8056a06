/**
 * The relayer (DESIGN.md, Bridge to Ethereum): takes a checkpoint with its committee's signatures (posted on
 * the beacon chain) and submits it. Relaying is idempotent: a checkpoint the contract already holds is not
 * sent again, and if another relayer lands it first, the contract itself treats ours as a no-op.
 */
import type { Hex } from 'viem';
import { checkpointHash, type Checkpoint } from './checkpoint.js';
import type { BridgeCommittee } from './committee.js';
import type { BridgeContract } from './contract.js';
import { assembleSubmission, type CheckpointSignature, type Submission } from './signatures.js';

export interface RelayResult {
  /** submitted: accepted now; already-accepted: nothing to do; froze: it conflicted with an accepted one. */
  readonly outcome: 'submitted' | 'already-accepted' | 'froze';
  readonly transactionHash?: Hex;
  readonly gasUsed?: bigint;
}

export class Relayer {
  constructor(private readonly bridge: BridgeContract) {}

  /** Submits an assembled checkpoint unless the contract already has it. */
  async relay(sub: Submission): Promise<RelayResult> {
    const hash = checkpointHash(sub.checkpoint);
    if ((await this.bridge.checkpointHashOf(sub.checkpoint.sequence)) === hash)
      return { outcome: 'already-accepted' };
    const { receipt, outcome } = await this.bridge.submitCheckpoint(
      sub.checkpoint,
      sub.members,
      sub.signatures,
    );
    return {
      outcome: outcome === 'accepted' ? 'submitted' : outcome === 'frozen' ? 'froze' : 'already-accepted',
      transactionHash: receipt.transactionHash,
      gasUsed: receipt.gasUsed,
    };
  }

  /** Checks and packs the signatures (keeping just enough stake, to save gas), then relays. */
  async relaySignatures(
    committee: BridgeCommittee,
    cp: Checkpoint,
    signatures: readonly CheckpointSignature[],
  ): Promise<RelayResult> {
    const hash = checkpointHash(cp);
    if ((await this.bridge.checkpointHashOf(cp.sequence)) === hash) return { outcome: 'already-accepted' };
    return this.relay(
      await assembleSubmission(committee, cp, this.bridge.domain, signatures, { trimToQuorum: true }),
    );
  }
}
