/**
 * The checker: reads the committed chains of the HONEST nodes after a
 * scenario and reports what broke.
 *
 * Safety:
 * - `fork`: two different blocks committed at one height (by two nodes, or by
 *   one node twice, e.g. before and after a crash);
 * - `diverging-history`: a committed block whose parent is not the block
 *   committed at the height below it (it extends another history);
 * - `broken-chain`: one commit whose blocks do not form a parent-linked run of
 *   consecutive heights;
 * - `bad-certificate`: a commit whose certificate does not certify it: the
 *   QC's commit info must name the last committed block, be the QC's parent
 *   with the QC's block in the very next round (the 2-chain rule), and the QC
 *   must be valid (a stake quorum of valid signatures).
 *
 * Liveness (partial synchrony): after GST every honest node must commit again
 * within `boundRounds` rounds. Rounds are counted on one clock for all nodes,
 * the highest round of an honest node (rounds only advance through quorum
 * certificates, so no node can run that clock alone). The gaps measured: from
 * GST to a node's first commit after GST, between its later commits, and from
 * its last commit to the end of the scenario.
 */
import type { QuorumCert, Round } from '../types.js';
import { toHex } from '../../core/bytes.js';
import type { CommitRecord } from './executor.js';

export type SafetyViolationKind = 'fork' | 'diverging-history' | 'broken-chain' | 'bad-certificate';

export interface SafetyViolation {
  readonly kind: SafetyViolationKind;
  readonly height: number;
  readonly nodes: readonly string[];
  readonly detail: string;
}

/** The committed history of one honest node (all its incarnations). */
export interface NodeHistory {
  readonly name: string;
  readonly commits: readonly CommitRecord[];
  /** The highest honest round when the scenario ended. */
  readonly finalRound: Round;
}

/** Returns null when `qc` is a valid quorum certificate, else the reason. */
export type CertificateVerifier = (qc: QuorumCert) => string | null;

function certKey(qc: QuorumCert): string {
  return toHex(qc.voteData.block.id) + toHex(qc.signers) + qc.signatures.map((s) => toHex(s)).join('');
}

export function checkSafety(
  histories: readonly NodeHistory[],
  verifyCert: CertificateVerifier,
): SafetyViolation[] {
  const out: SafetyViolation[] = [];
  const reported = new Set<string>();
  const report = (v: SafetyViolation): void => {
    const key = `${v.kind}@${v.height}`;
    if (reported.has(key)) return;
    reported.add(key);
    out.push(v);
  };

  // height -> committed id (hex) -> first node that committed it
  const byHeight = new Map<number, Map<string, string>>();
  // id (hex) -> parent id (hex), height
  const parents = new Map<string, { parent: string; height: number; node: string }>();
  const certVerdicts = new Map<string, string | null>();

  for (const h of histories) {
    for (const c of h.commits) {
      const blocks = c.blocks;
      for (let i = 1; i < blocks.length; i++) {
        const prev = blocks[i - 1]!;
        const b = blocks[i]!;
        if (b.height !== prev.height + 1 || toHex(b.parentId) !== toHex(prev.id)) {
          report({
            kind: 'broken-chain',
            height: b.height,
            nodes: [h.name],
            detail: `${h.name} committed height ${b.height} after height ${prev.height} without a parent link`,
          });
        }
      }
      for (const b of blocks) {
        const id = toHex(b.id);
        let ids = byHeight.get(b.height);
        if (ids === undefined) byHeight.set(b.height, (ids = new Map()));
        if (!ids.has(id)) ids.set(id, h.name);
        if (!parents.has(id)) parents.set(id, { parent: toHex(b.parentId), height: b.height, node: h.name });
      }

      const last = blocks[blocks.length - 1];
      if (last === undefined) continue;
      const vd = c.commitQc.voteData;
      let why: string | null = null;
      if (vd.commit === null) why = 'its commit info is empty';
      else if (
        toHex(vd.commit.id) !== toHex(last.id) ||
        vd.commit.height !== last.height ||
        vd.commit.round !== last.round
      ) {
        why = `its commit info names height ${vd.commit.height} round ${vd.commit.round}, not the committed block (height ${last.height} round ${last.round})`;
      } else if (toHex(vd.parent.id) !== toHex(vd.commit.id))
        why = 'the committed block is not the parent of the certified block';
      else if (vd.block.round !== vd.parent.round + 1) {
        why = `the certified block's round ${vd.block.round} does not follow its parent's round ${vd.parent.round} (no 2-chain)`;
      } else {
        const key = certKey(c.commitQc);
        if (!certVerdicts.has(key)) certVerdicts.set(key, verifyCert(c.commitQc));
        const verdict = certVerdicts.get(key)!;
        if (verdict !== null) why = `the QC is invalid: ${verdict}`;
      }
      if (why !== null) {
        report({
          kind: 'bad-certificate',
          height: last.height,
          nodes: [h.name],
          detail: `${h.name} committed height ${last.height} with a certificate that does not certify it: ${why}`,
        });
      }
    }
  }

  const heights = [...byHeight.keys()].sort((a, b) => a - b);
  for (const height of heights) {
    const ids = byHeight.get(height)!;
    if (ids.size > 1) {
      const entries = [...ids.entries()];
      report({
        kind: 'fork',
        height,
        nodes: entries.map(([, node]) => node),
        detail: `different blocks committed at height ${height}: ${entries.map(([id, node]) => `${id.slice(0, 12)} by ${node}`).join(', ')}`,
      });
    }
    const below = byHeight.get(height - 1);
    if (below === undefined) continue;
    for (const [id, node] of ids) {
      const parent = parents.get(id)!.parent;
      if (!below.has(parent)) {
        report({
          kind: 'diverging-history',
          height,
          nodes: [node],
          detail: `${node} committed ${id.slice(0, 12)} at height ${height} on parent ${parent.slice(0, 12)}, which no honest node committed at height ${height - 1}`,
        });
      }
    }
  }
  return out;
}

export interface LivenessFailure {
  readonly node: string;
  readonly detail: string;
}

export interface LivenessReport {
  readonly failures: LivenessFailure[];
  /** The largest gap (in rounds) between GST / commits / the end, over all honest nodes; -1 when not measured. */
  readonly maxGapRounds: number;
}

export interface LivenessInput {
  /** Virtual ms of GST (the last partition healed; nothing is dropped afterwards). */
  readonly gstAt: number;
  /** The highest round of an honest node at GST. */
  readonly gstRound: Round;
  /** One leader-schedule period plus 3 rounds. */
  readonly boundRounds: number;
}

export function checkLiveness(histories: readonly NodeHistory[], input: LivenessInput): LivenessReport {
  const failures: LivenessFailure[] = [];
  let maxGap = -1;
  for (const h of histories) {
    const after = h.commits.filter((c) => c.at >= input.gstAt);
    if (after.length === 0) {
      failures.push({
        node: h.name,
        detail: `${h.name} committed nothing after GST (round ${input.gstRound}) up to its round ${h.finalRound}`,
      });
      continue;
    }
    let prev = input.gstRound;
    let nodeMax = 0;
    for (const c of after) {
      nodeMax = Math.max(nodeMax, c.round - prev);
      prev = Math.max(prev, c.round);
    }
    nodeMax = Math.max(nodeMax, h.finalRound - prev);
    maxGap = Math.max(maxGap, nodeMax);
    if (nodeMax > input.boundRounds) {
      failures.push({
        node: h.name,
        detail: `${h.name} went ${nodeMax} rounds without a commit after GST (bound ${input.boundRounds})`,
      });
    }
  }
  return { failures, maxGapRounds: maxGap };
}
