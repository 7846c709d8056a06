/**
 * The node's network: libp2p v3 over TCP with noise and yamux, identify,
 * gossipsub 17 for transaction batches and proposals, and request-response
 * protocols on long-lived streams for votes and sync (DESIGN.md, The node).
 *
 * Generic: it moves bytes. Encodings and checks belong to the validators
 * and handlers that the node registers (one verdict path, see
 * gossip-validation.ts). Entry points that load this module must import
 * core/polyfill.js first (libp2p calls Promise.withResolvers).
 */
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import {
  gossipsub,
  StrictNoSign,
  TopicValidatorResult,
  type GossipSub,
  type GossipsubMessage,
} from '@libp2p/gossipsub';
import type { TopicScoreParams } from '@libp2p/gossipsub/score';
import type { PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { domainPrefix, sha256 } from '../../core/hash.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { nullLogger, type Logger } from '../logger.js';
import { NetworkError } from './errors.js';
import {
  validateGossip,
  type GossipContext,
  type GossipHandler,
  type GossipValidator,
} from './gossip-validation.js';
import { createNetworkMetrics, type NetworkMetrics } from './metrics.js';
import {
  GOSSIP_FRAME_OVERHEAD,
  resolveNetworkOptions,
  type NetworkOptions,
  type ResolvedNetworkOptions,
} from './options.js';
import { libp2pKeyForSeed } from './peer-id.js';
import { PENALTY_POINTS, PeerPenalties, type PenaltyReason } from './peer-penalties.js';
import { ReqResp, type ReqRespHandler } from './reqresp.js';
import { SCORE_THRESHOLDS, peerScoreParams, topicScoreParams } from './scoring.js';
import { StaticPeers } from './static-peers.js';
import { metricLabel } from './topics.js';
import { ValidatorDirectory, type ValidatorRef } from './validator-directory.js';

/** Domain tag of gossip message ids. */
export const GOSSIP_MSG_ID_TAG = 'hotshard/gossip-msg-id/v1';

/** A request target: a peer id, or a validator of a committee (mapped through the ValidatorDirectory). */
export type PeerTarget = string | ValidatorRef;

export interface NetworkModules {
  readonly metrics?: MetricsRegistry | null;
  readonly logger?: Logger | null;
}

/** Methods of the GossipSub class that its TypeScript interface lacks (TOOLCHAIN.md). */
interface GossipSubClass extends GossipSub {
  getScore(peerId: string): number;
  reportMessageValidationResult(
    msgId: string,
    propagationSource: string,
    acceptance: TopicValidatorResult,
  ): void;
  getMeshPeers(topic: string): string[];
  score: { params: { topics: Record<string, TopicScoreParams> } };
}

interface Subscription {
  readonly validator: GossipValidator<unknown>;
  readonly handler: GossipHandler<unknown>;
  pending: number;
}

type Services = { identify: unknown; pubsub: GossipSub };

/**
 * The gossip message id: SHA-256 over a domain tag, the topic and the data.
 * Payloads are signed by their authors, so gossipsub runs without per-message
 * signatures (StrictNoSign, 3 to 6 times the throughput); the topic is in the
 * id so that the same bytes on two topics are two messages.
 */
export function gossipMessageId(topic: string, data: Uint8Array): Uint8Array {
  const t = Buffer.from(topic, 'utf8');
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, t.length);
  return sha256(domainPrefix(GOSSIP_MSG_ID_TAG), len, t, data);
}

export class Network {
  readonly opts: ResolvedNetworkOptions;
  readonly directory = new ValidatorDirectory();
  readonly penalties: PeerPenalties;
  private readonly metrics: NetworkMetrics | null;
  private readonly log: Logger;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly reqresp: ReqResp;
  private readonly staticPeers: StaticPeers;
  private readonly connectListeners: ((peerId: string, connected: boolean) => void)[] = [];
  private started = false;
  private stopped = false;

  private constructor(
    readonly libp2p: Libp2p<Services>,
    opts: ResolvedNetworkOptions,
    penalties: PeerPenalties,
    modules: NetworkModules,
  ) {
    this.opts = opts;
    this.penalties = penalties;
    this.metrics = modules.metrics ? createNetworkMetrics(modules.metrics) : null;
    this.log = (modules.logger ?? nullLogger()).child('network');
    this.reqresp = new ReqResp({
      libp2p,
      opts,
      metrics: this.metrics,
      log: this.log.child('reqresp'),
      onGarbage: (peerId, reason) => this.penalize(peerId, reason),
    });
    this.staticPeers = new StaticPeers(opts.staticPeers, {
      libp2p,
      selfId: libp2p.peerId.toString(),
      minMs: opts.reconnectMinMs,
      maxMs: opts.reconnectMaxMs,
      graceMs: opts.dialGraceMs,
      isBanned: (p) => penalties.isBanned(p),
      metrics: this.metrics,
      log: this.log.child('peers'),
    });
    modules.metrics?.addCollector(() => this.metrics?.peers.set(undefined, this.libp2p.getPeers().length));
  }

  /**
   * Creates the libp2p node (not yet listening). The peer id derives from
   * `opts.seed`, so it is stable across restarts and known to the committee.
   */
  static async create(options: NetworkOptions, modules: NetworkModules = {}): Promise<Network> {
    const opts = resolveNetworkOptions(options);
    const penalties = new PeerPenalties(opts.penaltyHalfLifeMs, opts.banThreshold, opts.banMs);
    const banned = (p: PeerId): boolean => penalties.isBanned(p.toString());
    const libp2p = await createLibp2p<Services>({
      privateKey: await libp2pKeyForSeed(opts.seed),
      start: false,
      addresses: { listen: [...opts.listen] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: {
        denyDialPeer: banned,
        denyInboundEncryptedConnection: banned,
        denyOutboundEncryptedConnection: banned,
      },
      services: {
        // Required by gossipsub: libp2p refuses to start without it (TOOLCHAIN.md).
        identify: identify(),
        pubsub: gossipsub({
          globalSignaturePolicy: StrictNoSign,
          msgIdFn: (m) => gossipMessageId(m.topic, m.data),
          // One verdict path: every message waits for our validator (see subscribe).
          asyncValidation: true,
          // Quiet topics and a single-validator testnet: publishing with no peer is not an error.
          allowPublishToZeroTopicPeers: true,
          // Re-broadcasting the same proposal is harmless.
          ignoreDuplicatePublishError: true,
          emitSelf: false,
          // A committee is a full mesh of direct connections, and a publisher floods its message to every
          // subscribed peer (floodPublish): a mesh would make each receiver forward it again to the others.
          // No mesh: each message crosses each link once; lazy gossip (IHAVE/IWANT) still repairs a miss.
          D: 0,
          Dlo: 0,
          Dhi: 0,
          Dout: 0,
          Dscore: 0,
          floodPublish: true,
          // The message cache serves that repair (IWANT) and holds each message's bytes, which are often a
          // view into a whole decrypted network read: 2 heartbeats instead of 5 keep 60% less of them
          // alive, and IHAVE still advertises the last heartbeat's messages.
          mcacheLength: 2,
          mcacheGossip: 1,
          // The same on every node (TOOLCHAIN.md): an over-cap payload still reaches the validator and is rejected there.
          maxInboundDataLength: opts.maxGossipBytes + GOSSIP_FRAME_OVERHEAD,
          scoreParams: peerScoreParams({
            ipColocationFactorWeight: opts.ipColocationFactorWeight,
            appScore: (p) => penalties.score(p),
          }),
          scoreThresholds: SCORE_THRESHOLDS,
        }),
      },
    });
    return new Network(libp2p, opts, penalties, modules);
  }

  private get pubsub(): GossipSubClass {
    return this.libp2p.services.pubsub as unknown as GossipSubClass;
  }

  get peerId(): string {
    return this.libp2p.peerId.toString();
  }

  /** Starts listening, serves gossip, and dials the static peers. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.pubsub.addEventListener('gossipsub:message', (evt) => this.onGossip(evt.detail));
    this.libp2p.addEventListener('peer:connect', (evt) => {
      const id = evt.detail.toString();
      this.staticPeers.onConnect(id);
      this.log.debug('peer connected', { peerId: id });
      for (const l of this.connectListeners) l(id, true);
    });
    this.libp2p.addEventListener('peer:disconnect', (evt) => {
      const id = evt.detail.toString();
      this.staticPeers.onDisconnect(id);
      this.log.debug('peer disconnected', { peerId: id });
      for (const l of this.connectListeners) l(id, false);
    });
    await this.libp2p.start();
    this.staticPeers.start();
    this.log.info('network started', {
      peerId: this.peerId,
      addrs: this.multiaddrs(),
      staticPeers: this.staticPeers.peerIds().length,
    });
  }

  /** Stops dialling, ends the request-response streams, and stops libp2p. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.staticPeers.stop();
    await this.reqresp.stop();
    await this.libp2p.stop();
    this.log.info('network stopped');
  }

  /** The addresses others dial, with /p2p/<peer id>. */
  multiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((a) => a.toString());
  }

  /** Dials an address once (the static peers are dialled and kept by the network itself). */
  async connect(addr: string): Promise<void> {
    try {
      await this.libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(this.opts.requestTimeoutMs) });
    } catch (err) {
      throw new NetworkError(
        'NO_PEER',
        `cannot dial ${addr}: ${(err as Error).message}`,
        { addr },
        { cause: err },
      );
    }
  }

  /** Adds a static peer (`/ip4/.../tcp/PORT/p2p/PEERID`) to keep connected, by the same dial rule. Returns its peer id. */
  addStaticPeer(addr: string): string {
    return this.staticPeers.add({ multiaddr: addr });
  }

  /** Connected peer ids. */
  peers(): string[] {
    return this.libp2p.getPeers().map((p) => p.toString());
  }

  peerCount(): number {
    return this.libp2p.getPeers().length;
  }

  /** Calls `fn(peerId, connected)` on every connect and disconnect. */
  onPeerChange(fn: (peerId: string, connected: boolean) => void): void {
    this.connectListeners.push(fn);
  }

  /** Sets the members of a committee (committee order), for sendDirect / request by validator index. */
  setCommittee(committeeId: number, publicKeys: readonly Uint8Array[]): void {
    this.directory.setCommittee(committeeId, publicKeys);
  }

  // ---------------------------------------------------------------- gossip

  /**
   * Subscribes to `topic`: each inbound message is size-checked, then passed
   * to `validator`; its verdict goes to gossipsub (forward, drop, score) and
   * accepted values to `handler`. One subscription per topic.
   */
  subscribe<T>(topic: string, validator: GossipValidator<T>, handler: GossipHandler<T>): void {
    if (this.subscriptions.has(topic))
      throw new NetworkError('BAD_TOPIC', `already subscribed to ${topic}`, { topic });
    this.subscriptions.set(topic, {
      validator: validator as GossipValidator<unknown>,
      handler: handler as GossipHandler<unknown>,
      pending: 0,
    });
    // Rejects only count against a peer on topics with score parameters.
    this.pubsub.score.params.topics[topic] ??= topicScoreParams();
    this.pubsub.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    this.subscriptions.delete(topic);
    this.pubsub.unsubscribe(topic);
  }

  /** Publishes `data` (at most maxGossipBytes) and returns the number of peers it was sent to. */
  async publish(topic: string, data: Uint8Array): Promise<number> {
    if (!this.started || this.stopped)
      throw new NetworkError(this.stopped ? 'CLOSED' : 'NOT_STARTED', 'network is not running');
    if (data.length > this.opts.maxGossipBytes) {
      throw new NetworkError(
        'TOO_LARGE',
        `gossip message of ${data.length} bytes exceeds ${this.opts.maxGossipBytes}`,
        { topic, size: data.length },
      );
    }
    let recipients: number;
    try {
      recipients = (await this.pubsub.publish(topic, data)).recipients.length;
    } catch (err) {
      throw new NetworkError(
        'PUBLISH_FAILED',
        `publish on ${topic} failed: ${(err as Error).message}`,
        { topic },
        { cause: err },
      );
    }
    const label = metricLabel(topic);
    this.metrics?.gossipPublished.inc({ topic: label });
    this.metrics?.gossipPublishedBytes.inc({ topic: label }, data.length);
    return recipients;
  }

  /** Peers known to be subscribed to `topic`. */
  subscribers(topic: string): string[] {
    return this.pubsub.getSubscribers(topic).map((p) => p.toString());
  }

  /**
   * Waits until at least `count` peers are subscribed to `topic` (publishing
   * right after connecting reaches nobody, TOOLCHAIN.md). Throws TIMEOUT.
   */
  async waitForSubscribers(
    topic: string,
    count: number,
    timeoutMs = this.opts.requestTimeoutMs,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.subscribers(topic).length < count) {
      if (Date.now() > deadline) {
        throw new NetworkError(
          'TIMEOUT',
          `${this.subscribers(topic).length} of ${count} peers subscribed to ${topic} after ${timeoutMs} ms`,
          { topic },
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Peers in our gossipsub mesh for `topic`. */
  meshPeers(topic: string): string[] {
    return this.pubsub.getMeshPeers(topic);
  }

  private onGossip(detail: GossipsubMessage): void {
    const { msg, msgId, propagationSource } = detail;
    const from = propagationSource.toString();
    const sub = this.subscriptions.get(msg.topic);
    if (sub === undefined) {
      this.pubsub.reportMessageValidationResult(msgId, from, TopicValidatorResult.Ignore);
      return;
    }
    if (sub.pending >= this.opts.maxPendingValidations) {
      this.metrics?.gossipDropped.inc({ topic: metricLabel(msg.topic), reason: 'queue_full' });
      this.pubsub.reportMessageValidationResult(msgId, from, TopicValidatorResult.Ignore);
      return;
    }
    sub.pending++;
    const ctx: GossipContext = { topic: msg.topic, from, msgId };
    void validateGossip(msg.data, ctx, sub.validator, this.opts.maxGossipBytes, this.metrics, this.log)
      .then(async (outcome) => {
        if (this.stopped) return;
        const verdict =
          outcome.verdict === 'accept'
            ? TopicValidatorResult.Accept
            : outcome.verdict === 'reject'
              ? TopicValidatorResult.Reject
              : TopicValidatorResult.Ignore;
        this.pubsub.reportMessageValidationResult(msgId, from, verdict);
        if (outcome.verdict === 'accept') {
          try {
            await sub.handler(outcome.value, ctx);
          } catch (err) {
            this.log.error('gossip handler failed', { topic: msg.topic, err });
          }
        }
      })
      .finally(() => {
        sub.pending--;
      });
  }

  // ---------------------------------------------------------- request-response

  /** Serves a request-response protocol (one handler per protocol). */
  async handle(protocol: string, handler: ReqRespHandler): Promise<void> {
    await this.reqresp.handle(protocol, handler);
  }

  /** Sends a request on the long-lived stream to `target` and resolves to the response bytes. */
  async request(
    target: PeerTarget,
    protocol: string,
    data: Uint8Array,
    options: { timeoutMs?: number } = {},
  ): Promise<Uint8Array> {
    this.checkRunning();
    return this.reqresp.request(this.resolveTarget(target), protocol, data, options.timeoutMs);
  }

  /** Sends a one-way message (e.g. a vote to the next leader) on the long-lived stream to `target`. */
  async sendDirect(target: PeerTarget, protocol: string, data: Uint8Array): Promise<void> {
    this.checkRunning();
    await this.reqresp.send(this.resolveTarget(target), protocol, data);
  }

  // ---------------------------------------------------------------- scoring

  /** The gossipsub score of a peer (topic scores plus the penalty score). */
  score(peerId: string): number {
    return this.pubsub.getScore(peerId);
  }

  /**
   * Lowers a peer's score for misbehaviour seen outside gossip validation
   * (e.g. an invalid vote signature). A peer at the ban threshold is
   * disconnected and refused for `banMs`.
   */
  penalize(peerId: string, reason: PenaltyReason, points = PENALTY_POINTS[reason]): void {
    this.metrics?.penalties.inc({ reason });
    const banned = this.penalties.penalize(peerId, points);
    if (banned) {
      this.metrics?.bans.inc();
      this.log.warn('peer banned', { peerId, reason, banMs: this.opts.banMs });
      try {
        void this.libp2p.hangUp(peerIdFromString(peerId)).catch(() => {});
      } catch {
        // not a valid peer id: nothing to hang up
      }
    }
  }

  private resolveTarget(target: PeerTarget): string {
    if (typeof target === 'string') return target;
    const p = this.directory.peerOf(target.committeeId, target.index);
    if (p === undefined) {
      throw new NetworkError(
        'UNKNOWN_VALIDATOR',
        `no peer id for validator ${target.index} of committee ${target.committeeId}`,
        { ...target },
      );
    }
    return p;
  }

  private checkRunning(): void {
    if (this.stopped) throw new NetworkError('CLOSED', 'network stopped');
    if (!this.started) throw new NetworkError('NOT_STARTED', 'network not started');
  }
}
