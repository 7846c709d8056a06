/**
 * The engine's ConsensusNetwork over the node's network (DESIGN.md, The
 * node): proposals on the committee's gossip topic; votes to the next leader
 * and timeouts to every validator, direct, on the long-lived consensus
 * protocol streams; block fetches on the sync protocol.
 *
 * Inbound, every message is size-capped and decoded close to the network
 * (canonical codec, 2 MiB cap), must be of a kind its channel carries, and
 * then goes to engine.handleMessage, whose verdict is the gossip verdict
 * (accept forwards, reject scores the sender down) or, on the direct
 * protocol, a penalty for the sender.
 */
import type {
  Block,
  BlockId,
  ConsensusNetwork,
  Proposal,
  TimeoutMsg,
  ValidatorIndex,
  Vote,
} from '../consensus/types.js';
import type { ConsensusEngine } from '../consensus/engine.js';
import { ConsensusError } from '../consensus/errors.js';
import {
  MAX_FETCH_BLOCKS,
  MAX_MESSAGE_BYTES,
  decodeConsensusMessage,
  encodeConsensusMessage,
} from '../consensus/messages.js';
import { verifyQc, type VerifyContext } from '../consensus/verify.js';
import type { QuorumCert } from '../consensus/types.js';
import type { Network } from './network/network.js';
import { GossipValidationError } from './network/errors.js';
import type { GossipContext } from './network/gossip-validation.js';
import type { ReqRespContext } from './network/reqresp.js';
import { gossipTopic, reqRespProtocol } from './network/topics.js';
import type { Counter, MetricsRegistry } from './metrics/registry.js';
import { nullLogger, type Logger } from './logger.js';
import { decodeSyncResponse, encodeSyncRequest } from './sync/messages.js';

export interface ConsensusTransportDeps {
  readonly network: Network;
  readonly chainId: number;
  readonly committeeId: number;
  readonly self: ValidatorIndex;
  readonly committeeSize: number;
  /** True while sync catches up: the engine's own fetches are refused meanwhile. */
  readonly syncing?: () => boolean;
  /**
   * Called with the height a commit certificate seen in a proposal or a
   * timeout commits, once the certificate verified (so that sync starts when
   * the node is far behind).
   */
  readonly onCommitCertificate?: (height: number) => void;
  /** Verification context, to check a far-ahead commit certificate before acting on it. */
  readonly verify?: VerifyContext;
  readonly committedHeight?: () => number;
  readonly lagThreshold?: number;
  readonly logger?: Logger | null;
  readonly metrics?: MetricsRegistry | null;
}

interface TransportMetrics {
  readonly sent: Counter<'kind'>;
  readonly received: Counter<'kind' | 'verdict'>;
  readonly sendFailures: Counter<'kind'>;
}

export class ConsensusTransport implements ConsensusNetwork {
  readonly proposalsTopic: string;
  readonly consensusProtocol: string;
  readonly syncProtocol: string;
  private engine: ConsensusEngine | null = null;
  /** The highest commit height already reported (a certificate is verified once, not once per message carrying it). */
  private notedHeight = 0;
  private readonly log: Logger;
  private readonly metrics: TransportMetrics | null;

  constructor(private readonly deps: ConsensusTransportDeps) {
    this.proposalsTopic = gossipTopic(deps.chainId, deps.committeeId, 'proposals');
    this.consensusProtocol = reqRespProtocol(deps.chainId, 'consensus');
    this.syncProtocol = reqRespProtocol(deps.chainId, 'sync');
    this.log = (deps.logger ?? nullLogger()).child('consensus-net');
    const m = deps.metrics;
    this.metrics = m
      ? {
          sent: m.counter({
            name: 'hotshard_consensus_messages_sent_total',
            help: 'Consensus messages sent, by kind',
            labelNames: ['kind'],
          }),
          received: m.counter({
            name: 'hotshard_consensus_messages_received_total',
            help: 'Consensus messages received, by kind and verdict',
            labelNames: ['kind', 'verdict'],
          }),
          sendFailures: m.counter({
            name: 'hotshard_consensus_send_failures_total',
            help: 'Consensus messages that could not be sent, by kind',
            labelNames: ['kind'],
          }),
        }
      : null;
  }

  /** Subscribes to the proposals topic and serves the consensus protocol, feeding `engine`. */
  async attach(engine: ConsensusEngine): Promise<void> {
    this.engine = engine;
    this.deps.network.subscribe<null>(
      this.proposalsTopic,
      (data, ctx) => this.validateProposal(data, ctx),
      () => {},
    );
    await this.deps.network.handle(this.consensusProtocol, (data, ctx) => this.onDirect(data, ctx));
  }

  // ---------------------------------------------------------------- outbound

  broadcastProposal(p: Proposal): void {
    const bytes = this.encode({ type: 'proposal', value: p }, 'proposal');
    if (bytes === null) return;
    this.metrics?.sent.inc({ kind: 'proposal' });
    this.deps.network
      .publish(this.proposalsTopic, bytes)
      .catch((err: unknown) => this.sendFailed('proposal', err));
  }

  sendVote(to: ValidatorIndex, v: Vote): void {
    const bytes = this.encode({ type: 'vote', value: v }, 'vote');
    if (bytes === null) return;
    this.direct(to, bytes, 'vote');
  }

  broadcastTimeout(t: TimeoutMsg): void {
    const bytes = this.encode({ type: 'timeout', value: t }, 'timeout');
    if (bytes === null) return;
    for (let i = 0; i < this.deps.committeeSize; i++)
      if (i !== this.deps.self) this.direct(i, bytes, 'timeout');
  }

  async fetchBlocks(peer: ValidatorIndex, blockId: BlockId, count: number): Promise<Block[]> {
    if (this.deps.syncing?.() === true)
      throw new ConsensusError('FETCH_FAILED', 'sync is catching up; the engine fetches after it');
    const req = encodeSyncRequest({
      type: 'blocksById',
      value: { blockId, count: Math.max(1, Math.min(MAX_FETCH_BLOCKS, Math.floor(count))) },
    });
    const bytes = await this.deps.network.request(
      { committeeId: this.deps.committeeId, index: peer },
      this.syncProtocol,
      req,
    );
    const resp = decodeSyncResponse(bytes);
    if (resp.type !== 'blocks')
      throw new ConsensusError('FETCH_FAILED', `a block request was answered with ${resp.type}`);
    this.metrics?.received.inc({ kind: 'blocks', verdict: 'accept' });
    return [...resp.value.blocks];
  }

  private encode(msg: Parameters<typeof encodeConsensusMessage>[0], kind: string): Uint8Array | null {
    try {
      return encodeConsensusMessage(msg);
    } catch (err) {
      this.log.error('cannot encode an outbound consensus message', { kind, err });
      return null;
    }
  }

  private direct(to: ValidatorIndex, bytes: Uint8Array, kind: string): void {
    this.metrics?.sent.inc({ kind });
    this.deps.network
      .sendDirect({ committeeId: this.deps.committeeId, index: to }, this.consensusProtocol, bytes)
      .catch((err: unknown) => this.sendFailed(kind, err, to));
  }

  private sendFailed(kind: string, err: unknown, to?: ValidatorIndex): void {
    this.metrics?.sendFailures.inc({ kind });
    // Best effort (the engine tolerates loss): a peer that is down is normal, not an error.
    this.log.debug('consensus message not sent', { kind, to: to ?? null, err });
  }

  // ----------------------------------------------------------------- inbound

  /** Gossip validator of the proposals topic: its result is the gossip verdict. */
  private async validateProposal(data: Uint8Array, ctx: GossipContext): Promise<null> {
    const engine = this.engine;
    if (engine === null)
      throw new GossipValidationError('ignore', 'NOT_READY', 'the engine is not attached yet');
    const msg = decodeConsensusMessage(data, MAX_MESSAGE_BYTES); // ConsensusError MALFORMED / OVERSIZED: reject
    if (msg.type !== 'proposal') {
      this.metrics?.received.inc({ kind: msg.type, verdict: 'reject' });
      throw new GossipValidationError('reject', 'WRONG_TOPIC', `a ${msg.type} on the proposals topic`);
    }
    const from =
      this.deps.network.directory.indexOf(this.deps.committeeId, ctx.from) ?? msg.value.block.proposer;
    this.noteCertificate(msg.value.highCommitQc);
    const verdict = await engine.handleMessage(msg, from);
    this.metrics?.received.inc({ kind: 'proposal', verdict });
    if (verdict !== 'accept')
      throw new GossipValidationError(
        verdict,
        'ENGINE_' + verdict.toUpperCase(),
        `the engine answered ${verdict}`,
      );
    return null;
  }

  /** Votes and timeouts on the direct protocol (one-way messages). */
  private async onDirect(data: Uint8Array, ctx: ReqRespContext): Promise<Uint8Array | void> {
    const network = this.deps.network;
    const engine = this.engine;
    if (engine === null) return;
    const from = network.directory.indexOf(this.deps.committeeId, ctx.peerId);
    if (from === undefined) {
      network.penalize(ctx.peerId, 'invalid_message');
      throw new ConsensusError(
        'UNKNOWN_SIGNER',
        'consensus messages are accepted from committee members only',
      );
    }
    let kind = 'malformed';
    try {
      if (data.length > MAX_MESSAGE_BYTES)
        throw new ConsensusError('OVERSIZED', `message of ${data.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
      const msg = decodeConsensusMessage(data, MAX_MESSAGE_BYTES);
      kind = msg.type;
      if (msg.type !== 'vote' && msg.type !== 'timeout')
        throw new ConsensusError('MALFORMED', `a ${msg.type} on the direct consensus protocol`);
      if (msg.type === 'timeout') this.noteCertificate(msg.value.highQc);
      const verdict = await engine.handleMessage(msg, from);
      this.metrics?.received.inc({ kind, verdict });
      if (verdict === 'reject') network.penalize(ctx.peerId, 'invalid_message');
    } catch (err) {
      this.metrics?.received.inc({ kind, verdict: 'reject' });
      network.penalize(ctx.peerId, 'invalid_message');
      this.log.debug('invalid consensus message', { peerId: ctx.peerId, err });
      // One-way: nothing goes back; a request gets the typed error as its answer.
      if (ctx.kind === 'request') throw err;
    }
  }

  /**
   * A commit certificate far above our tip means we are behind: once it
   * verifies against the committee (so a forged one cannot start work), tell
   * sync. Cheap when it is not far ahead: only the heights are compared.
   */
  private noteCertificate(qc: QuorumCert | null): void {
    const cb = this.deps.onCommitCertificate;
    const commit = qc?.voteData.commit ?? null;
    if (cb === undefined || commit === null || this.deps.verify === undefined) return;
    const tip = this.deps.committedHeight?.() ?? 0;
    if (commit.height <= tip + (this.deps.lagThreshold ?? 0) || commit.height <= this.notedHeight) return;
    try {
      verifyQc(this.deps.verify, qc!);
    } catch {
      return; // the engine's own verification rejects the message
    }
    this.notedHeight = commit.height;
    cb(commit.height);
  }
}
