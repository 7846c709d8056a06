/**
 * The Byzantine side of a scenario. Faulty validators run the real engine
 * with their own key (so they follow the protocol where that suits them),
 * and an adversary between that engine and the network decides what
 * actually leaves, forging messages with the faulty key through the
 * SignatureScheme. The faulty validators collude: one Coalition pools what
 * any of them has seen (blocks, votes, timeouts) and assembles certificates
 * from it.
 *
 * Behaviours (per faulty validator):
 * - crash       the honest engine, stopped at a random time, maybe restarted
 *               (set up by the scenario; no adversary);
 * - twins       two instances with one key (set up by the scenario);
 * - silent      receives everything, sends nothing, answers no fetch;
 * - double-vote votes for every proposal and every vote data it sees (so
 *               for both sides of an equivocation), sends its votes to
 *               everyone, and signs conflicting timeouts (a lower high QC to
 *               half of the nodes);
 * - equivocate  as leader, sends two different proposals to two halves of
 *               the nodes (on another certified block when it knows one,
 *               on an older QC after a timeout certificate, else another
 *               payload) and later the other one to each half; or withholds
 *               its proposal from all but one victim (whose messages the
 *               network adversary then delays, as asynchrony before GST
 *               allows), signs a timeout for the previous round, and once a
 *               TC forms proposes on the QC below the one it withheld; it
 *               votes for every proposal it sees.
 */
import { toHex, equalBytes } from '../../core/bytes.js';
import { encode } from '../../core/codec.js';
import { ValidatorSet } from '../committee.js';
import type { EngineEvent } from '../engine.js';
import { VoteDataCodec, blockId } from '../messages.js';
import type {
  Block,
  ConsensusMessage,
  Proposal,
  QuorumCert,
  Round,
  TimeoutCert,
  TimeoutMsg,
  ValidatorIndex,
  Vote,
  VoteData,
} from '../types.js';
import { simPayload, simPayloadDigest } from './executor.js';
import { Forger, assembleQc, assembleTc, parentRef } from './forge.js';
import type { NodeAdversary, SimContext, SimNode } from './node.js';
import type { Prng } from './prng.js';
import type { SimKey } from './schemes.js';

interface TimeoutEntry {
  readonly hqcRound: Round;
  readonly signature: Uint8Array;
  readonly highQc: QuorumCert;
}

const qcRound = (qc: QuorumCert): Round => qc.voteData.block.round;
const short = (id: Uint8Array): string => toHex(id).slice(0, 8);

/** What the faulty validators know together, and the certificates they can build from it. */
export class Coalition {
  readonly forger: Forger;
  /** The quorum rule the engines apply (a mutation may have changed it; the coalition exploits what engines accept). */
  readonly validators: ValidatorSet;
  private readonly blocks = new Map<string, Block>();
  private readonly votes = new Map<string, { voteData: VoteData; sigs: Map<ValidatorIndex, Uint8Array> }>();
  /** A QC per certified block (id hex). */
  private readonly qcs = new Map<string, QuorumCert>();
  private readonly timeouts = new Map<Round, Map<ValidatorIndex, TimeoutEntry>>();
  private readonly tcs = new Map<Round, TimeoutCert>();
  private readonly tcWaiters = new Map<Round, ((tc: TimeoutCert) => void)[]>();
  /** Vote data already signed, per member ("index:block id"). */
  private readonly forgedVotes = new Set<string>();
  private readonly certifiedByRound = new Map<Round, QuorumCert[]>();
  private readonly siblingListeners: ((round: Round) => void)[] = [];
  /** Round -> signer -> the vote data keys it signed (double votes show here). */
  private readonly votesByRound = new Map<Round, Map<ValidatorIndex, Set<string>>>();
  readonly members: ReadonlySet<ValidatorIndex>;

  constructor(
    readonly ctx: SimContext,
    readonly prng: Prng,
    keys: ReadonlyMap<ValidatorIndex, SimKey>,
  ) {
    this.forger = new Forger(ctx.domain, ctx.scheme, new Map([...keys].map(([i, k]) => [i, k.secret])));
    this.members = new Set(keys.keys());
    this.validators = new ValidatorSet(ctx.committee, {
      quorumByHeads: ctx.mutations.quorumByHeads === true,
    });
    this.learnBlock(ctx.genesis);
    this.learnQc(ctx.genesisQc);
  }

  observe(msg: ConsensusMessage): void {
    switch (msg.type) {
      case 'proposal':
        this.learnBlock(msg.value.block);
        if (msg.value.highCommitQc !== null) this.learnQc(msg.value.highCommitQc);
        return;
      case 'vote':
        this.learnVote(msg.value);
        return;
      case 'timeout': {
        const t = msg.value;
        this.learnQc(t.highQc);
        if (t.lastVote !== null) this.learnVote(t.lastVote);
        if (t.highTc != null) this.learnTc(t.highTc);
        this.learnTimeout(t);
        return;
      }
      case 'blockResponse':
        for (const b of msg.value.blocks) this.learnBlock(b);
        return;
      default:
        return;
    }
  }

  event(e: EngineEvent): void {
    if (e.type === 'block' || e.type === 'proposed') this.learnBlock(e.block);
    else if (e.type === 'qc') this.learnQc(e.qc);
    else if (e.type === 'tc') this.learnTc(e.tc);
  }

  block(id: Uint8Array): Block | undefined {
    return this.blocks.get(toHex(id));
  }

  tc(round: Round): TimeoutCert | undefined {
    return this.tcs.get(round);
  }

  /** Known QCs (with their blocks known) matching `pred`. */
  qcsWhere(pred: (qc: QuorumCert) => boolean): QuorumCert[] {
    return [...this.qcs.values()].filter((qc) => pred(qc) && this.blocks.has(toHex(qc.voteData.block.id)));
  }

  /** True when some validator's timeout of `round` has been seen. */
  timedOut(round: Round): boolean {
    return (this.timeouts.get(round)?.size ?? 0) > 0;
  }

  /** Calls `fn` once a TC of `round` is known (now, if it is). */
  onTc(round: Round, fn: (tc: TimeoutCert) => void): void {
    const tc = this.tcs.get(round);
    if (tc !== undefined) {
      fn(tc);
      return;
    }
    let list = this.tcWaiters.get(round);
    if (list === undefined) this.tcWaiters.set(round, (list = []));
    list.push(fn);
  }

  learnBlock(b: Block): void {
    const k = toHex(blockId(b));
    if (this.blocks.has(k)) return;
    this.blocks.set(k, b);
    if (b.round > 0) this.learnQc(b.qc);
    if (b.tc !== null) this.learnTc(b.tc);
  }

  learnQc(qc: QuorumCert): void {
    const k = toHex(qc.voteData.block.id);
    if (this.qcs.has(k)) return;
    this.qcs.set(k, qc);
    const round = qcRound(qc);
    let ids = this.certifiedByRound.get(round);
    if (ids === undefined) this.certifiedByRound.set(round, (ids = []));
    ids.push(qc);
    if (ids.length >= 2) for (const fn of this.siblingListeners) fn(round);
  }

  /** The QCs of `round` (two or more: conflicting certified blocks). */
  qcsOfRound(round: Round): readonly QuorumCert[] {
    return this.certifiedByRound.get(round) ?? [];
  }

  /** Calls `fn(round)` whenever a second (third, ...) certified block of one round becomes known. */
  onSiblings(fn: (round: Round) => void): void {
    this.siblingListeners.push(fn);
  }

  /** True when a validator outside the coalition signed two different votes in `round`. */
  doubleVoted(round: Round): boolean {
    for (const [signer, keys] of this.votesByRound.get(round) ?? [])
      if (!this.members.has(signer) && keys.size > 1) return true;
    return false;
  }

  learnVote(v: Vote): void {
    const key = toHex(encode(VoteDataCodec, v.voteData));
    const round = v.voteData.block.round;
    let byRound = this.votesByRound.get(round);
    if (byRound === undefined) this.votesByRound.set(round, (byRound = new Map()));
    let keys = byRound.get(v.signer);
    if (keys === undefined) byRound.set(v.signer, (keys = new Set()));
    keys.add(key);
    let entry = this.votes.get(key);
    if (entry === undefined) this.votes.set(key, (entry = { voteData: v.voteData, sigs: new Map() }));
    if (entry.sigs.has(v.signer)) return;
    entry.sigs.set(v.signer, v.signature);
    if (!this.qcs.has(toHex(v.voteData.block.id)) && this.validators.hasQuorum(entry.sigs.keys())) {
      this.learnQc(assembleQc(this.validators, entry.voteData, entry.sigs));
    }
  }

  learnTimeout(t: TimeoutMsg): void {
    let entries = this.timeouts.get(t.round);
    if (entries === undefined) this.timeouts.set(t.round, (entries = new Map()));
    if (entries.has(t.signer)) return;
    entries.set(t.signer, { hqcRound: qcRound(t.highQc), signature: t.signature, highQc: t.highQc });
    if (!this.tcs.has(t.round) && this.validators.hasQuorum(entries.keys()))
      this.learnTc(assembleTc(this.validators, t.round, entries));
  }

  learnTc(tc: TimeoutCert): void {
    if (this.tcs.has(tc.round)) return;
    this.tcs.set(tc.round, tc);
    const waiters = this.tcWaiters.get(tc.round);
    this.tcWaiters.delete(tc.round);
    for (const fn of waiters ?? []) fn(tc);
  }

  /** `node` (faulty) votes for `block` whatever its safety rules say, and sends the vote to the next leader (or everyone). */
  voteFor(node: SimNode, block: Block, toEveryone: boolean): void {
    if (block.round > 0) this.endorse(node, Forger.voteData(block), toEveryone);
  }

  /**
   * `node` (faulty) signs `voteData` (seen in someone's vote: the block
   * itself is not needed to vote for it) and sends it to the next leader (or
   * everyone). Each vote data is signed once per member.
   */
  endorse(node: SimNode, voteData: VoteData, toEveryone: boolean): void {
    const key = `${node.index}:${toHex(voteData.block.id)}`;
    if (this.forgedVotes.has(key)) return;
    this.forgedVotes.add(key);
    const vote = this.forger.vote(node.index, voteData);
    this.learnVote(vote);
    const net = this.ctx.network;
    const targets = toEveryone
      ? net.othersOf(node)
      : net.instancesOf(this.ctx.leaders.leader(voteData.block.round + 1)).filter((n) => n !== node);
    if (targets.length > 0) net.send(node, targets, { type: 'vote', value: vote });
  }
}

/** Common plumbing: every faulty node feeds the coalition. */
abstract class Byzantine implements NodeAdversary {
  answersFetches = true;

  constructor(
    protected readonly coalition: Coalition,
    protected readonly prng: Prng,
  ) {}

  inbound(_node: SimNode, msg: ConsensusMessage, _from: ValidatorIndex): void {
    this.coalition.observe(msg);
  }

  event(_node: SimNode, e: EngineEvent): void {
    this.coalition.event(e);
  }

  outbound(node: SimNode, msg: ConsensusMessage, targets: SimNode[]): void {
    this.coalition.observe(msg);
    this.coalition.ctx.network.send(node, targets, msg);
  }

  protected trace(node: SimNode, line: string): void {
    const c = this.coalition.ctx;
    c.trace?.(`${String(c.queue.now).padStart(6)} ${node.name.padEnd(4)} BYZ ${line}`);
  }

  protected get now(): number {
    return this.coalition.ctx.queue.now;
  }

  /** Splits `nodes` into two non-empty halves at random (the second may be empty with one node). */
  protected halves(nodes: readonly SimNode[]): [SimNode[], SimNode[]] {
    const s = this.prng.shuffle(nodes);
    const k = s.length <= 1 ? s.length : 1 + this.prng.int(s.length - 1);
    return [s.slice(0, k), s.slice(k)];
  }
}

class Silent extends Byzantine {
  override answersFetches = false;

  override outbound(_node: SimNode, msg: ConsensusMessage): void {
    this.coalition.observe(msg);
  }
}

class DoubleVoter extends Byzantine {
  override inbound(node: SimNode, msg: ConsensusMessage, from: ValidatorIndex): void {
    super.inbound(node, msg, from);
    if (msg.type === 'proposal') this.coalition.voteFor(node, msg.value.block, true);
    if (msg.type === 'vote' && !this.coalition.members.has(msg.value.signer))
      this.coalition.endorse(node, msg.value.voteData, true);
  }

  override outbound(node: SimNode, msg: ConsensusMessage, targets: SimNode[]): void {
    const c = this.coalition;
    c.observe(msg);
    const net = c.ctx.network;
    if (msg.type === 'vote') {
      net.send(node, net.othersOf(node), msg);
      return;
    }
    if (msg.type === 'timeout') {
      // Conflicting timeouts: half of the nodes get one with a lower high QC.
      const t = msg.value;
      const lower = c.qcsWhere((qc) => qcRound(qc) < qcRound(t.highQc));
      const [a, b] = this.halves(targets);
      net.send(node, a, msg);
      if (b.length === 0) return;
      if (lower.length === 0) {
        net.send(node, b, msg);
        return;
      }
      const other = c.forger.timeout(
        node.index,
        t.round,
        this.prng.pick(lower),
        t.lastVote,
        t.highTc ?? null,
      );
      c.learnTimeout(other);
      net.send(node, b, { type: 'timeout', value: other });
      return;
    }
    net.send(node, targets, msg);
  }
}

class Equivocator extends Byzantine {
  /** While a withholding attack runs, our engine's timeouts (which carry the withheld QC) and votes (which conflict with our forged ones) stay home. */
  private quietUntilRound = -1;
  /** Rounds whose proposals we already sent (split or forked). */
  private readonly forked = new Set<Round>();
  /** Rounds we forked before our engine proposed: its proposal, and its vote for it, stay home. */
  private readonly replaced = new Set<Round>();

  constructor(coalition: Coalition, prng: Prng, node: SimNode) {
    super(coalition, prng);
    // Two certified blocks of the round before ours, and our engine has not
    // proposed yet (it may never: it keeps the first vote of each signer and
    // so forms at most one of the QCs): we propose on both ourselves.
    coalition.onSiblings((q) => {
      const ctx = coalition.ctx;
      const r = q + 1;
      if (
        ctx.leaders.leader(r) !== node.index ||
        node.engine === null ||
        this.forked.has(r) ||
        this.now >= ctx.network.gstAt
      )
        return;
      if (node.engine.status().round > r || this.proposedRound >= r) return;
      const [x, y] = coalition.qcsOfRound(q);
      const at = ctx.epochMs + this.now + 20;
      const make = (qc: QuorumCert): Proposal => {
        const info = qc.voteData.block;
        const known = coalition.block(info.id);
        const parent =
          known !== undefined ? parentRef(known) : { id: info.id, height: info.height, timestamp: at - 1 };
        return coalition.forger.proposal(
          coalition.forger.block(node.index, r, parent, qc, null, at, simPayload(this.prng)),
          null,
        );
      };
      this.replaced.add(r);
      this.split(node, make(x!), ctx.network.othersOf(node), make(y!));
    });
  }

  /** The last round our engine proposed in. */
  private proposedRound = 0;

  override inbound(node: SimNode, msg: ConsensusMessage, from: ValidatorIndex): void {
    super.inbound(node, msg, from);
    if (msg.type === 'proposal') this.coalition.voteFor(node, msg.value.block, false);
    if (msg.type === 'vote' && !this.coalition.members.has(msg.value.signer))
      this.coalition.endorse(node, msg.value.voteData, false);
  }

  override outbound(node: SimNode, msg: ConsensusMessage, targets: SimNode[]): void {
    const c = this.coalition;
    c.observe(msg);
    if (msg.type === 'timeout' && msg.value.round <= this.quietUntilRound) return;
    if (msg.type === 'vote' && msg.value.voteData.block.round <= this.quietUntilRound) return;
    // In a round we forked ourselves, our engine's vote (for its own proposal, which stays home) would void ours.
    if (msg.type === 'vote' && this.replaced.has(msg.value.voteData.block.round)) return;
    if (msg.type !== 'proposal') {
      c.ctx.network.send(node, targets, msg);
      return;
    }
    const p = msg.value;
    const r = p.block.round;
    this.proposedRound = Math.max(this.proposedRound, r);
    if (this.forked.has(r)) return;
    // Either we withhold the proposal (see withhold), when the round allows
    // it; or, before GST, we take our time: a validator outside the
    // coalition may yet vote twice in the previous round (a crashed leader
    // proposing again), and a second certified block of that round lets us
    // fork. We wait a little for a double vote, a little more for its QC.
    if (
      !c.doubleVoted(r - 1) &&
      p.block.tc === null &&
      this.prng.chance(0.6) &&
      this.withhold(node, p, targets)
    )
      return;
    const base = c.ctx.timing.baseTimeoutMs;
    const start = this.now;
    const attempt = (): void => {
      if (node.engine === null || this.forked.has(r)) return;
      const waited = this.now - start;
      const async = this.now < c.ctx.network.gstAt;
      const sibling =
        c.qcsWhere((qc) => qcRound(qc) === r - 1 && !equalBytes(qc.voteData.block.id, p.block.parentId))
          .length > 0;
      if (!sibling && async && (waited < base / 4 || (c.doubleVoted(r - 1) && waited < base / 2)))
        c.ctx.queue.after(5, attempt);
      else this.split(node, p, targets);
    };
    attempt();
  }

  /** Two proposals for one round, one to each half; later each half also gets the other one. */
  private split(node: SimNode, p: Proposal, targets: SimNode[], second?: Proposal): void {
    const c = this.coalition;
    const net = c.ctx.network;
    this.forked.add(p.block.round);
    const other = second ?? this.conflicting(node, p);
    let [a, b] = this.halves(targets);
    const r = p.block.round;
    const siblings = qcRound(other.block.qc) === r - 1 && !equalBytes(other.block.parentId, p.block.parentId);
    if (siblings) {
      this.trace(node, `has two certified blocks of r${r - 1}: forks them`);
      // Two certified blocks of one round (an honest node voted twice): the
      // leader after next gets only the extension of the second one, everyone
      // else the first; the next leader, who certifies the first extension
      // (and so commits its parent), is kept quiet. After a timeout or two,
      // the leader after next builds on the second block.
      const keeper = c.ctx.leaders.leader(r + 2);
      b = targets.filter((n) => n.index === keeper);
      a = targets.filter((n) => n.index !== keeper);
      for (const n of c.ctx.network.instancesOf(c.ctx.leaders.leader(r + 1)))
        if (n.honest) net.hold(n, net.gstAt);
    }
    net.send(node, a, { type: 'proposal', value: p });
    net.send(node, b, { type: 'proposal', value: other });
    this.trace(
      node,
      `equivocates r${p.block.round}: ${short(blockId(p.block))} to ${a.map((n) => n.name).join(',')}, ` +
        `${short(blockId(other.block))} h${other.block.height} on ${short(other.block.parentId)} to ${b.map((n) => n.name).join(',')}`,
    );
    let ourVote: Vote | null = null;
    if (siblings) {
      // Only the first extension needs certifying (by the quiet next leader):
      // our vote for the other one would get there first and void this one.
      ourVote = c.forger.vote(node.index, Forger.voteData(p.block));
      c.learnVote(ourVote);
      net.send(node, net.instancesOf(c.ctx.leaders.leader(r + 1)), { type: 'vote', value: ourVote });
    } else c.voteFor(node, other.block, false);
    if (siblings) {
      // Each side must keep believing its own branch: no cross copies, but
      // repeats (messages get lost before GST).
      for (let k = 1; k <= 6; k++) {
        c.ctx.queue.after(k * c.ctx.timing.baseTimeoutMs, () => {
          if (node.engine === null) return;
          net.send(node, a, { type: 'proposal', value: p });
          net.send(node, b, { type: 'proposal', value: other });
          if (ourVote !== null)
            net.send(node, net.instancesOf(c.ctx.leaders.leader(r + 1)), { type: 'vote', value: ourVote });
        });
      }
    } else {
      const later = Math.round(c.ctx.timing.baseTimeoutMs * (0.2 + 0.6 * this.prng.float()));
      c.ctx.queue.after(later, () => {
        net.send(node, b, { type: 'proposal', value: p });
        net.send(node, a, { type: 'proposal', value: other });
      });
    }
  }

  /** A second proposal for p's round: on another certified block if one is known, else with another payload. */
  private conflicting(node: SimNode, p: Proposal): Proposal {
    const c = this.coalition;
    const b = p.block;
    const r = b.round;
    const tc = b.tc ?? c.tc(r - 1) ?? null;
    const base = qcRound(b.qc);
    // Same round, another block: no TC needed. With a TC: any older QC.
    const candidates = c.qcsWhere(
      (qc) =>
        !equalBytes(qc.voteData.block.id, b.parentId) &&
        (qcRound(qc) === r - 1 || (tc !== null && tc.round === r - 1 && qcRound(qc) < Math.max(base, 1))),
    );
    let qc = b.qc;
    let parent: Block | undefined;
    if (candidates.length > 0) {
      qc = this.prng.pick(candidates);
      parent = c.block(qc.voteData.block.id);
    }
    if (parent === undefined) {
      qc = b.qc;
      parent = c.block(b.parentId);
    }
    const justification = r === qcRound(qc) + 1 ? null : tc;
    if (
      parent === undefined ||
      (r !== qcRound(qc) + 1 && (justification === null || justification.round + 1 !== r))
    ) {
      // Nothing better known: the same parent with another payload.
      const payload = simPayload(this.prng);
      return c.forger.proposal({ ...b, payload, payloadDigest: simPayloadDigest(payload) }, p.highCommitQc);
    }
    const block = c.forger.block(
      node.index,
      r,
      parentRef(parent),
      qc,
      justification,
      b.timestamp,
      simPayload(this.prng),
    );
    return c.forger.proposal(block, p.highCommitQc);
  }

  /**
   * The proposal goes to one victim only (it carries the QC that commits the
   * grandparent there); the victim's messages are then held back. The
   * others time out; their timeouts and ours form a TC, and we propose on the
   * QC below the withheld one, conflicting with what the victim committed.
   * A correct engine refuses that proposal (its QC is below the TC's high
   * QC); one without the TC high-QC clause votes for it.
   */
  private withhold(node: SimNode, p: Proposal, targets: SimNode[]): boolean {
    const c = this.coalition;
    const net = c.ctx.network;
    const b = p.block;
    const r = b.round;
    // Only while the network is asynchronous (the victim must stay quiet),
    // and only if the QC we hold is news to everyone: nobody timed out in
    // the previous round (a timeout carries its vote, and votes make QCs).
    if (this.now + c.ctx.timing.baseTimeoutMs >= net.gstAt || c.timedOut(r - 1)) return false;
    const parent = c.block(b.parentId);
    if (parent === undefined || parent.round === 0) return false;
    const grand = c.block(parent.parentId);
    if (grand === undefined || grand.round === 0) return false;
    const staleQc = grand.qc;
    const staleParent = c.block(staleQc.voteData.block.id);
    if (staleParent === undefined) return false;
    // The victim must not lead the next two rounds: their leaders must form
    // the QCs that certify the conflicting block and its child.
    const next = [c.ctx.leaders.leader(r + 1), c.ctx.leaders.leader(r + 2)];
    const honest = targets.filter((n) => n.honest);
    const preferred = honest.filter((n) => !next.includes(n.index));
    if (honest.length === 0) return false;
    const victim = this.prng.pick(preferred.length > 0 ? preferred : honest);
    const rest = targets.filter((n) => n !== victim);
    net.send(node, [victim], { type: 'proposal', value: p });
    this.trace(
      node,
      `withholds r${r} ${short(blockId(p.block))} from all but ${victim.name}; holds ${victim.name}`,
    );
    net.hold(victim, this.now + 8 * c.ctx.timing.maxTimeoutMs);
    this.quietUntilRound = r + 3;
    // Our timeout of the previous round completes the TC, but only we get to
    // use it: the others stay in that round until the TC arrives inside our
    // conflicting proposal.
    c.learnTimeout(c.forger.timeout(node.index, r - 1, parent.qc, null, null));
    c.onTc(r - 1, (tc) => {
      if (node.engine === null) return;
      const x = c.forger.block(
        node.index,
        r,
        parentRef(staleParent),
        staleQc,
        tc,
        c.ctx.epochMs + this.now,
        simPayload(this.prng),
      );
      const proposal = c.forger.proposal(x, null);
      c.learnBlock(x);
      net.send(node, rest, { type: 'proposal', value: proposal });
      // Re-sent a few times: before GST messages get lost, and the round does not wait.
      for (let k = 1; k <= 6; k++) {
        c.ctx.queue.after(k * c.ctx.timing.baseTimeoutMs, () => {
          if (node.engine !== null) net.send(node, rest, { type: 'proposal', value: proposal });
        });
      }
      this.trace(
        node,
        `tc r${tc.round} formed: proposes ${short(blockId(x))} r${r} h${x.height} on stale qc r${qcRound(staleQc)}`,
      );
      c.voteFor(node, x, false);
    });
    return true;
  }
}

/** The adversary of a faulty instance, or null when the behaviour needs none (crash and twins run the honest engine). */
export function makeAdversary(
  behaviour: 'crash' | 'silent' | 'equivocate' | 'double-vote' | 'twins',
  coalition: Coalition,
  prng: Prng,
  node: SimNode,
): NodeAdversary | null {
  switch (behaviour) {
    case 'silent':
      return new Silent(coalition, prng);
    case 'double-vote':
      return new DoubleVoter(coalition, prng);
    case 'equivocate':
      return new Equivocator(coalition, prng, node);
    case 'crash':
    case 'twins':
      return null;
  }
}
