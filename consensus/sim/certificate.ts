/**
 * The checker's own verification of a commit certificate, independent of
 * the engine's verify.ts (whose quorum rule a mutation may switch off): the
 * signer bitmap is parsed here, the quorum is by stake (core/quorum.ts), and
 * every signature must verify over the vote signing bytes of signing.ts.
 */
import { equalBytes } from '../../core/bytes.js';
import { encode } from '../../core/codec.js';
import { isQuorum } from '../../core/quorum.js';
import { QuorumCertCodec } from '../messages.js';
import { voteSigningBytes } from '../signing.js';
import type { CommitteeMember, ConsensusDomain, QuorumCert, SignatureScheme } from '../types.js';
import type { CertificateVerifier } from './checker.js';

export function certificateVerifier(
  domain: ConsensusDomain,
  committee: readonly CommitteeMember[],
  scheme: SignatureScheme,
  genesisQc: QuorumCert,
): CertificateVerifier {
  const total = committee.reduce((a, m) => a + m.stake, 0n);
  const genesisBytes = encode(QuorumCertCodec, genesisQc);
  return (qc) => {
    if (qc.voteData.block.round === 0) {
      return equalBytes(encode(QuorumCertCodec, qc), genesisBytes)
        ? null
        : 'a round-0 QC other than the genesis QC';
    }
    if (qc.signers.length !== (committee.length + 7) >> 3)
      return `a signer bitmap of ${qc.signers.length} bytes for ${committee.length} members`;
    const signers: number[] = [];
    for (let i = 0; i < qc.signers.length * 8; i++) {
      if ((qc.signers[i >> 3]! >> (i & 7)) & 1) {
        if (i >= committee.length) return `signer ${i} is outside the committee`;
        signers.push(i);
      }
    }
    if (signers.length !== qc.signatures.length)
      return `${qc.signatures.length} signatures for ${signers.length} signers`;
    const stake = signers.reduce((a, i) => a + committee[i]!.stake, 0n);
    if (!isQuorum(stake, total))
      return `its signers hold ${stake} of ${total} stake, not more than two thirds`;
    const msg = voteSigningBytes(domain, qc.voteData);
    for (let k = 0; k < signers.length; k++) {
      if (!scheme.verify(qc.signatures[k]!, msg, committee[signers[k]!]!.publicKey))
        return `the signature of validator ${signers[k]} does not verify`;
    }
    return null;
  };
}
