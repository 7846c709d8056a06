/**
 * The simulated network. Every message goes through the engine's real wire
 * codec (encoded once by the sender, decoded by each receiver), so a wire
 * bug shows up in the simulator as it would between processes. Delivery
 * times and losses come from the scenario's NetworkSchedule.
 *
 * Messages are addressed to validators; a validator may run as two
 * instances (Twins), and a message to it reaches every instance the
 * schedule lets through. A message arrives at whatever incarnation of the
 * receiving instance is alive then (none, while it is crashed).
 */
import type {
  Block,
  BlockId,
  ConsensusMessage,
  ConsensusNetwork,
  Proposal,
  TimeoutMsg,
  ValidatorIndex,
  Vote,
} from '../types.js';
import { decodeConsensusMessage, encodeConsensusMessage } from '../messages.js';
import { ConsensusError } from '../errors.js';
import { toHex } from '../../core/bytes.js';
import { sha256 } from '../../core/hash.js';
import type { EventQueue } from './scheduler.js';
import type { Prng } from './prng.js';
import { deliveryTime, type NetworkSchedule } from './schedule.js';
import type { Verdict } from '../errors.js';
import type { BlockRequest, BlockResponse } from '../types.js';

/**
 * What the network needs of a node instance (node.ts's N is one; the
 * interface keeps this module free of a dependency on it).
 */
export interface NetworkPeer<N extends NetworkPeer<N>> {
  readonly instance: number;
  readonly index: ValidatorIndex;
  readonly name: string;
  readonly honest: boolean;
  /** Bumped on every crash and start: an endpoint serves one incarnation. */
  readonly incarnation: number;
  /** The running engine, or null while crashed. */
  readonly engine: { handleMessage(msg: ConsensusMessage, from: ValidatorIndex): Promise<Verdict> } | null;
  /** Answers a block request (the engine's tree, then the node's database). */
  serveBlocks(req: BlockRequest): BlockResponse;
  /** A faulty node's adversary: it decides what leaves, and sees what arrives. */
  readonly adversary: {
    outbound(node: N, msg: ConsensusMessage, targets: N[]): void;
    inbound(node: N, msg: ConsensusMessage, from: ValidatorIndex): void;
    readonly answersFetches: boolean;
  } | null;
  /** The node dies in the middle of its next proposal broadcast. */
  partialBroadcast: boolean;
  /** Called as the node starts broadcasting its proposal of `round` (a crash may be armed for it). */
  aboutToBroadcastProposal(round: number): void;
  /** Content hashes of the proposals this incarnation accepted (its gossip seen cache). */
  readonly seen: Set<string>;
}

/** Counters of one scenario's traffic. */
export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  bytes: number;
  /** Messages an honest engine rejected although an honest node sent them (a bug signal). */
  honestRejected: number;
  /** Messages that failed to decode (a wire bug signal: every sender uses the codec). */
  decodeErrors: number;
  fetches: number;
  /** Copies dropped by the receiver's seen cache. */
  duplicates: number;
}

/** Encoded bytes in flight, and their decoding once the first copy arrived. */
interface Wire {
  readonly bytes: Uint8Array;
  decoded: ConsensusMessage | null;
  /** Content hash (hex), the seen-cache key; computed on first delivery. */
  key?: string;
}

/** Freezes a decoded message and everything in it (byte arrays cannot be frozen and are left as they are). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || Object.isFrozen(value))
    return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

/** The round a message belongs to (for Twins round partitions), or null. */
export function messageRound(msg: ConsensusMessage): number | null {
  switch (msg.type) {
    case 'proposal':
      return msg.value.block.round;
    case 'vote':
      return msg.value.voteData.block.round;
    case 'timeout':
      return msg.value.round;
    default:
      return null;
  }
}

export class SimNetwork<N extends NetworkPeer<N>> {
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    bytes: 0,
    honestRejected: 0,
    decodeErrors: 0,
    fetches: 0,
    duplicates: 0,
  };
  nodes: readonly N[] = [];
  /** The scenario's trace, when it keeps one. */
  trace: ((line: string) => void) | null = null;
  /** Before GST the network adversary may hold a node's outbound messages until a time (at most GST). */
  private readonly held = new Map<N, number>();

  constructor(
    private readonly queue: EventQueue,
    private readonly prng: Prng,
    private readonly schedule: NetworkSchedule,
    /** Drop copies of messages a node already accepted (gossip seen cache). */
    private readonly dedupe: boolean,
  ) {}

  /** Instances of validator `index`. */
  instancesOf(index: ValidatorIndex): N[] {
    return this.nodes.filter((n) => n.index === index);
  }

  /** Every instance but `from` itself. */
  othersOf(from: N): N[] {
    return this.nodes.filter((n) => n !== from);
  }

  /**
   * Holds the proposals, votes and timeouts `node` sends until `until`
   * (clamped to GST): asynchrony before GST lets the adversary delay any
   * message, as long as it arrives by GST + delta. Block fetches pass (the
   * held node keeps catching up). No effect after GST.
   */
  hold(node: N, until: number): void {
    if (this.queue.now >= this.schedule.gstAt) return;
    this.held.set(node, Math.min(until, this.schedule.gstAt));
  }

  get gstAt(): number {
    return this.schedule.gstAt;
  }

  /**
   * Encodes `msg` once and sends it from `from` to each of `targets`. The
   * bytes are decoded once, on first arrival, and every receiver gets that
   * decoded value, deeply frozen: a receiver that tried to change a message
   * would throw instead of corrupting what the others got.
   */
  send(from: N, targets: readonly N[], msg: ConsensusMessage): void {
    const bytes = encodeConsensusMessage(msg);
    const round = messageRound(msg);
    const wire: Wire = { bytes, decoded: null };
    for (const to of targets)
      this.transmit(from, to, wire, round, (decoded) => this.deliver(from, to, decoded, wire));
  }

  /** The ConsensusNetwork of one incarnation; it goes quiet when the incarnation dies. */
  endpoint(node: N, incarnation: number): ConsensusNetwork {
    const alive = (): boolean => node.incarnation === incarnation && node.engine !== null;
    const out = (msg: ConsensusMessage, targets: N[]): void => {
      if (!alive()) return;
      if (msg.type === 'proposal') node.aboutToBroadcastProposal(msg.value.block.round);
      if (node.partialBroadcast && msg.type === 'proposal' && targets.length > 1) {
        // The node dies while broadcasting: a random part of the peers got it.
        node.partialBroadcast = false;
        const shuffled = this.prng.shuffle(targets);
        targets = shuffled.slice(0, 1 + this.prng.int(targets.length - 1));
      }
      if (node.adversary !== null) node.adversary.outbound(node, msg, targets);
      else this.send(node, targets, msg);
    };
    return {
      broadcastProposal: (p: Proposal) => out({ type: 'proposal', value: p }, this.othersOf(node)),
      sendVote: (to: ValidatorIndex, v: Vote) =>
        out(
          { type: 'vote', value: v },
          this.instancesOf(to).filter((n) => n !== node),
        ),
      broadcastTimeout: (t: TimeoutMsg) => out({ type: 'timeout', value: t }, this.othersOf(node)),
      fetchBlocks: (peer: ValidatorIndex, blockId: BlockId, count: number) =>
        this.fetch(node, incarnation, peer, blockId, count),
    };
  }

  private transmit(
    from: N,
    to: N,
    wire: Wire,
    round: number | null,
    onArrive: (m: ConsensusMessage) => void,
  ): void {
    const bytes = wire.bytes;
    this.stats.sent++;
    let at = deliveryTime(this.schedule, this.prng, this.queue.now, from.instance, to.instance, round);
    const heldUntil = round === null ? undefined : this.held.get(from); // block fetches pass
    if (at !== null && heldUntil !== undefined && this.queue.now < heldUntil)
      at = Math.max(at, heldUntil + 1 + this.prng.int(this.schedule.deltaMs));
    if (at === null) {
      this.stats.dropped++;
      return;
    }
    this.stats.bytes += bytes.length;
    this.queue.at(at, () => {
      if (to.engine === null) {
        this.stats.dropped++;
        return;
      }
      if (wire.decoded === null) {
        try {
          wire.decoded = deepFreeze(decodeConsensusMessage(bytes));
        } catch (err) {
          this.stats.decodeErrors++;
          if (!(err instanceof ConsensusError)) throw err;
          return;
        }
      }
      this.stats.delivered++;
      onArrive(wire.decoded);
    });
  }

  /**
   * Hands a message to the receiving engine. node/ sends proposals by gossip
   * (content-addressed message ids) and votes and timeouts directly: like
   * gossipsub's seen cache, a node drops a copy of a proposal it already
   * accepted, while every copy of a vote or timeout arrives. A restarted
   * node starts with an empty cache.
   */
  private deliver(from: N, to: N, msg: ConsensusMessage, wire: Wire): void {
    const engine = to.engine;
    if (engine === null) return;
    const gossip = this.dedupe && msg.type === 'proposal';
    if (gossip) wire.key ??= toHex(sha256(wire.bytes));
    const key = wire.key;
    if (key !== undefined && to.seen.has(key)) {
      this.stats.duplicates++;
      return;
    }
    to.adversary?.inbound(to, msg, from.index);
    const incarnation = to.incarnation;
    void engine.handleMessage(msg, from.index).then((verdict) => {
      if (key !== undefined && verdict === 'accept' && to.incarnation === incarnation) to.seen.add(key);
      if (verdict === 'reject' && from.honest && to.honest) this.stats.honestRejected++;
    });
  }

  /**
   * A block fetch: the request and the answer each cross the network (and
   * may be lost); the engine gives up on its own timer. A silent or crashed
   * peer never answers.
   */
  private fetch(
    node: N,
    incarnation: number,
    peer: ValidatorIndex,
    blockId: BlockId,
    count: number,
  ): Promise<Block[]> {
    this.stats.fetches++;
    return new Promise<Block[]>((resolve) => {
      const candidates = this.instancesOf(peer).filter((n) => n !== node);
      if (candidates.length === 0 || node.incarnation !== incarnation) return;
      const target = candidates.length === 1 ? candidates[0]! : this.prng.pick(candidates);
      const request: ConsensusMessage = { type: 'blockRequest', value: { blockId, count } };
      this.transmit(node, target, { bytes: encodeConsensusMessage(request), decoded: null }, null, (req) => {
        if (req.type !== 'blockRequest' || target.engine === null) return;
        if (target.adversary !== null && !target.adversary.answersFetches) return;
        const response: ConsensusMessage = {
          type: 'blockResponse',
          value: target.serveBlocks(req.value),
        };
        this.trace?.(
          `${String(this.queue.now).padStart(6)} ${target.name.padEnd(4)} serves ${response.value.blocks.length} of ${req.value.count} blocks to ${node.name}`,
        );
        this.transmit(
          target,
          node,
          { bytes: encodeConsensusMessage(response), decoded: null },
          null,
          (resp) => {
            if (resp.type !== 'blockResponse' || node.incarnation !== incarnation || node.engine === null)
              return;
            node.adversary?.inbound(node, resp, target.index);
            resolve([...resp.value.blocks]);
          },
        );
      });
    });
  }
}
