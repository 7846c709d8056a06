/**
 * The map between validators (committee id, index) and peer ids, built from
 * each committee's ed25519 public keys (a validator's peer id derives from
 * its consensus key). A process may serve several committees.
 */
import type { ValidatorIndex } from '../../consensus/types.js';
import { peerIdForPublicKey } from './peer-id.js';

export interface ValidatorRef {
  readonly committeeId: number;
  readonly index: ValidatorIndex;
}

export class ValidatorDirectory {
  private readonly byCommittee = new Map<number, readonly string[]>();
  private readonly byPeer = new Map<string, ValidatorRef[]>();

  /** Sets (or replaces, at an epoch change) the members of a committee, in committee order. */
  setCommittee(committeeId: number, publicKeys: readonly Uint8Array[]): void {
    const peers = publicKeys.map((k) => peerIdForPublicKey(k));
    this.byCommittee.set(committeeId, peers);
    this.rebuild();
  }

  removeCommittee(committeeId: number): void {
    this.byCommittee.delete(committeeId);
    this.rebuild();
  }

  /** The peer id of validator `index` of `committeeId`, or undefined. */
  peerOf(committeeId: number, index: ValidatorIndex): string | undefined {
    return this.byCommittee.get(committeeId)?.[index];
  }

  /** The committee memberships of a peer (empty for a non-validator). */
  validatorsOf(peerId: string): readonly ValidatorRef[] {
    return this.byPeer.get(peerId) ?? [];
  }

  /** The index of `peerId` in `committeeId`, or undefined. */
  indexOf(committeeId: number, peerId: string): ValidatorIndex | undefined {
    return this.validatorsOf(peerId).find((v) => v.committeeId === committeeId)?.index;
  }

  /** Peer ids of a committee in committee order. */
  committeePeers(committeeId: number): readonly string[] {
    return this.byCommittee.get(committeeId) ?? [];
  }

  private rebuild(): void {
    this.byPeer.clear();
    for (const [committeeId, peers] of this.byCommittee) {
      peers.forEach((p, index) => {
        let refs = this.byPeer.get(p);
        if (refs === undefined) this.byPeer.set(p, (refs = []));
        refs.push({ committeeId, index });
      });
    }
  }
}
