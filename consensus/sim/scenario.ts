/**
 * One seeded scenario: draw the committee, the faults and the network
 * schedule from the seed, run the engines in virtual time past GST, then
 * check the committed chains of the honest nodes.
 */
import { genesisQc as makeGenesisQc, makeGenesisBlock } from '../engine.js';
import { StakeWeightedRoundRobin } from '../leader-election.js';
import type { CommitteeMember, ConsensusDomain } from '../types.js';
import { Coalition, makeAdversary } from './adversary.js';
import { certificateVerifier } from './certificate.js';
import {
  checkLiveness,
  checkSafety,
  type LivenessFailure,
  type NodeHistory,
  type SafetyViolation,
} from './checker.js';
import { simPayload, simPayloadDigest } from './executor.js';
import { SimNetwork, type NetworkStats } from './network.js';
import { SimNode, type SimContext } from './node.js';
import { MIXED_BEHAVIOURS, type Behaviour, type SimOptions } from './options.js';
import { Prng } from './prng.js';
import { EventQueue } from './scheduler.js';
import { drawSchedule } from './schedule.js';
import { simScheme } from './schemes.js';
import { toHex } from '../../core/bytes.js';
import { drawStakes } from './stakes.js';

/** Unix ms of virtual time 0 (any fixed value: the engine only compares times). */
const EPOCH_MS = 1_700_000_000_000;
const DOMAIN: ConsensusDomain = { chainId: 31337, committeeId: 0, epoch: 1 };

export type FaultBehaviour = Exclude<Behaviour, 'mixed'>;

export interface ScenarioResult {
  readonly seed: number;
  /** Highest height committed by an honest node. */
  readonly committedHeight: number;
  /** Lowest height committed by an honest node. */
  readonly minHonestHeight: number;
  readonly safetyViolations: readonly SafetyViolation[];
  readonly livenessFailures: readonly LivenessFailure[];
  readonly maxGapRounds: number;
  /** One leader-schedule period plus 3 rounds. */
  readonly boundRounds: number;
  readonly gstAt: number;
  readonly gstRound: number;
  readonly finalRound: number;
  readonly stakes: readonly string[];
  /** Faulty validator index -> its behaviour. */
  readonly faults: Readonly<Record<number, FaultBehaviour>>;
  readonly honestCrashes: number;
  readonly virtualMs: number;
  readonly events: number;
  readonly network: NetworkStats;
  /** Engine 'error' events and executor contract notes of honest nodes (bug signals; expected empty). */
  readonly engineErrors: readonly string[];
  /** The event log, when options.trace is set. */
  readonly trace: readonly string[];
}

export async function runScenario(o: SimOptions, seed: number): Promise<ScenarioResult> {
  const prng = new Prng(seed);
  const setupRng = prng.fork(1);
  const { stakes, faulty } = drawStakes(
    setupRng,
    o.validators,
    o.faulty,
    o.stakes,
    o.allowUnsafeFaults,
    o.faultyIndices,
  );
  const faults: Record<number, FaultBehaviour> = {};
  for (const i of faulty) faults[i] = o.behaviour === 'mixed' ? setupRng.pick(MIXED_BEHAVIOURS) : o.behaviour;

  const sim = simScheme(o.scheme);
  const committee: CommitteeMember[] = stakes.map((stake, i) => ({ publicKey: sim.key(i).publicKey, stake }));
  const leaders = new StakeWeightedRoundRobin(committee);
  const boundRounds = leaders.schedule.length + 3;
  const genesisPayload = new Uint8Array([0x67, 0x65, 0x6e]);
  const genesis = makeGenesisBlock(DOMAIN, genesisPayload, simPayloadDigest(genesisPayload), EPOCH_MS);
  const genesisQc = makeGenesisQc(genesis);

  // Instances: one per validator, two per Twins validator.
  const layout: { index: number; name: string; honest: boolean }[] = [];
  const twinPairs: [number, number][] = [];
  for (let i = 0; i < o.validators; i++) {
    const f = faults[i];
    if (f === 'twins') {
      twinPairs.push([layout.length, layout.length + 1]);
      layout.push({ index: i, name: `v${i}a`, honest: false }, { index: i, name: `v${i}b`, honest: false });
    } else layout.push({ index: i, name: `v${i}`, honest: f === undefined });
  }

  const schedule = drawSchedule(prng.fork(2), {
    instances: layout.length,
    gstMs: o.gstMs,
    deltaMs: o.deltaMs,
    twinPairs,
    twinRounds: 4 * o.rounds,
    maxDropRate: o.maxDropRate,
    partitions: o.partitions,
  });
  const queue = new EventQueue();
  const trace: string[] = [];
  // The highest honest round, updated as nodes report rounds (read by the ledgers and the stop rule).
  let globalRound = 0;
  const network = new SimNetwork<SimNode>(queue, prng.fork(3), schedule, o.dedupe);
  const ctx: SimContext = {
    queue,
    network,
    domain: DOMAIN,
    committee,
    scheme: sim.scheme,
    genesis,
    genesisQc,
    leaders,
    timing: o.timing,
    mutations: o.mutations,
    epochMs: EPOCH_MS,
    globalRound: () => globalRound,
    trace: o.trace ? (line) => trace.push(line) : null,
  };
  const nodeRng = prng.fork(4);
  const nodes = layout.map(
    (l, instance) =>
      new SimNode(ctx, {
        instance,
        name: l.name,
        index: l.index,
        honest: l.honest,
        key: sim.key(l.index),
        skewMs: nodeRng.int(Math.max(1, Math.floor(o.timing.maxClockSkewMs / 4))),
        prng: nodeRng.fork(instance),
      }),
  );
  network.nodes = nodes;
  network.trace = ctx.trace;
  // Forks are watched as they happen: once two honest nodes committed different
  // blocks at one height, safety is broken and the scenario ends (the checker
  // then reports all it finds).
  const committedIds = new Map<number, string>();
  let forked = false;
  for (const n of nodes) {
    if (!n.honest) continue;
    n.onRound = (r) => (globalRound = Math.max(globalRound, r));
    n.ledger.onCommit = (rec) => {
      for (const b of rec.blocks) {
        const id = toHex(b.id);
        const seen = committedIds.get(b.height);
        if (seen === undefined) committedIds.set(b.height, id);
        else if (seen !== id) forked = true;
      }
    };
  }

  const faultRng = prng.fork(5);
  const coalition = new Coalition(ctx, faultRng.fork(1), new Map(faulty.map((i) => [i, sim.key(i)])));
  for (const n of nodes) {
    const f = faults[n.index];
    if (f !== undefined) n.adversary = makeAdversary(f, coalition, faultRng.fork(100 + n.instance), n);
  }

  // Start everyone within the first delta.
  for (const n of nodes) queue.at(faultRng.int(o.deltaMs), () => void n.start(true));

  // Faulty crashes: stop at a random time, maybe come back (possibly after
  // GST), sometimes with the block store lost (only the safety data kept).
  for (const n of nodes) {
    if (faults[n.index] !== 'crash') continue;
    const at = faultRng.int(schedule.gstAt + 1000);
    queue.at(at, () => n.crash());
    if (faultRng.chance(0.5)) {
      const fromDisk = faultRng.chance(0.7);
      queue.at(at + 1 + faultRng.int(2000), () => void n.start(fromDisk));
    }
  }

  // Honest crash-restarts, all before GST and back by GST (crash-recovery
  // model: a node that restarts with all its durable data, safety data and
  // block store, is still honest; one that lost its block store is not, as
  // it may have lost the only copy of a QC). Half of them strike at a random
  // time; half right after the node votes in a round whose votes a faulty
  // leader collects (where a lost write hurts most; a leader then dies in
  // the middle of broadcasting its proposal), and come back within the
  // round.
  let honestCrashes = 0;
  if (faultRng.chance(o.honestCrashRate)) {
    const honest = nodes.filter((n) => n.honest);
    const count = 1 + faultRng.int(o.honestCrashes);
    // Leaders right before a faulty leader: their crash mid-proposal is the one a faulty next leader can use.
    const beforeFaulty = honest.filter((n) =>
      leaders.schedule.some((l, i) => l === n.index && faults[leaders.leader(i + 1)] !== undefined),
    );
    for (let k = 0; k < count && honest.length > 0; k++) {
      const afterVote = faultRng.chance(0.5);
      const n = faultRng.pick(afterVote && beforeFaulty.length > 0 ? beforeFaulty : honest);
      const at = faultRng.int(Math.max(1, schedule.gstAt - 50));
      honestCrashes++;
      if (!afterVote) {
        const back = Math.min(schedule.gstAt, at + 1 + faultRng.int(600));
        queue.at(at, () => n.crash());
        queue.at(back, () => void n.start(true));
      } else {
        const downtime = 1 + faultRng.int(Math.ceil(o.timing.baseTimeoutMs / 2));
        const isFaulty = (r: number): boolean => faults[leaders.leader(r)] !== undefined;
        queue.at(at, () => {
          n.crashAfterVote = {
            // A double vote helps the coalition only if a faulty leader collects the votes of that round.
            when: (r) => isFaulty(r + 1) || faulty.length === 0,
            fire: () => {
              // Not too close to GST: the node must be back, and what it does
              // twice must matter, while the network is still asynchronous.
              if (queue.now >= schedule.gstAt - 4 * o.timing.baseTimeoutMs) return;
              // Fired as a leader starts to broadcast its proposal: it dies mid-broadcast (its own
              // vote is not saved yet). Fired after a vote, nothing is broadcast before the crash.
              n.partialBroadcast = true;
              queue.after(0, () => {
                n.partialBroadcast = false;
                n.crash();
              });
              queue.at(Math.min(schedule.gstAt, queue.now + downtime), () => void n.start(true));
            },
          };
        });
      }
    }
  }

  // GST: note the highest honest round and where each honest ledger stood.
  const honestNodes = nodes.filter((n) => n.honest);
  let gstRound = -1;
  const commitsAtGst = new Map<SimNode, number>();
  queue.at(schedule.gstAt, () => {
    gstRound = globalRound;
    ctx.trace?.(`${String(queue.now).padStart(6)} GST at round ${gstRound}`);
    for (const n of honestNodes) commitsAtGst.set(n, n.ledger.commits.length);
  });

  // Run until every honest node committed twice after GST and the round
  // clock passed both the horizon and a window after GST as long as the
  // liveness bound (capped at 2n + 3 rounds: with skewed stakes the leader
  // period, and so the bound, can be hundreds of rounds; the gaps are
  // measured on whatever window ran). Stop early once the round clock is a
  // full bound past that point (a node still missing has failed liveness).
  const window = Math.min(boundRounds, 2 * o.validators + 3) + 1;
  let target = o.rounds;
  const done = (): boolean => {
    if (forked) return true;
    if (gstRound < 0) return false;
    target = Math.max(o.rounds, gstRound + window);
    if (globalRound > target + boundRounds + 2) return true;
    for (const n of honestNodes) {
      const after = n.ledger.commits.length - (commitsAtGst.get(n) ?? 0);
      if (after < 2 || n.round < target) return false;
    }
    return true;
  };
  // Time cap: enough for bound + a few rounds at the longest round time, past GST.
  const horizonMs = schedule.gstAt + (boundRounds + o.rounds + window) * 2 * o.timing.maxTimeoutMs;
  await queue.run(horizonMs, done);
  for (const n of nodes) n.crash();

  const histories: NodeHistory[] = honestNodes.map((n) => ({
    name: n.name,
    commits: n.ledger.commits,
    finalRound: globalRound,
  }));
  const safetyViolations = checkSafety(
    histories,
    certificateVerifier(DOMAIN, committee, sim.scheme, genesisQc),
  );
  const liveness = checkLiveness(histories, {
    gstAt: schedule.gstAt,
    gstRound: Math.max(gstRound, 0),
    boundRounds,
  });
  const heights = honestNodes.map((n) => n.ledger.height);
  const engineErrors: string[] = [];
  const honestIndices = new Set(honestNodes.map((n) => n.index));
  for (const n of honestNodes) {
    for (const e of n.stats.errors) engineErrors.push(`${n.name}: ${e}`);
    for (const e of n.ledger.contractNotes) engineErrors.push(`${n.name}: ${e}`);
    // An honest validator never signs two proposals or two votes in one round, crashes included.
    for (const author of n.stats.equivocators)
      if (honestIndices.has(author))
        engineErrors.push(`${n.name}: equivocation evidence against honest v${author}`);
  }
  return {
    seed,
    committedHeight: Math.max(0, ...heights),
    minHonestHeight: Math.min(...heights),
    safetyViolations,
    livenessFailures: liveness.failures,
    maxGapRounds: liveness.maxGapRounds,
    boundRounds,
    gstAt: schedule.gstAt,
    gstRound,
    finalRound: globalRound,
    stakes: stakes.map(String),
    faults,
    honestCrashes,
    virtualMs: queue.now,
    events: queue.executed,
    network: network.stats,
    engineErrors,
    trace,
  };
}
