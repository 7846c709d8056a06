/**
 * Options of the network with their defaults; each default carries its
 * reason. The CLI parses into these; nothing else configures the network.
 */
import { NetworkError } from './errors.js';

export interface StaticPeer {
  /** Full multiaddr with the peer id: /ip4/127.0.0.1/tcp/PORT/p2p/PEERID */
  readonly multiaddr: string;
}

export interface NetworkOptions {
  readonly chainId: number;
  /** The validator's 32-byte ed25519 seed: the libp2p identity, so the peer id is stable and derivable from the public key. */
  readonly seed: Uint8Array;
  /** Listen multiaddrs. Default: 127.0.0.1 on a free port. */
  readonly listen?: readonly string[];
  /** Peers to keep connected to; each pair is dialled from one side only (see StaticPeers). */
  readonly staticPeers?: readonly StaticPeer[];
  /** Largest gossip payload (DESIGN.md: 2 MiB, the same on every node). Checked before decoding and before publishing. */
  readonly maxGossipBytes?: number;
  /** Largest request-response frame. */
  readonly maxFrameBytes?: number;
  /** Milliseconds before a request fails with TIMEOUT. */
  readonly requestTimeoutMs?: number;
  /** Requests of one peer handled at once on one stream; more wait (back-pressure on the stream). */
  readonly maxInboundInflight?: number;
  /** Outbound requests in flight to one peer and protocol; more fail with BUSY. */
  readonly maxOutboundInflight?: number;
  /** Gossip messages waiting for validation per topic; more are ignored (dropped without penalty). */
  readonly maxPendingValidations?: number;
  /** First reconnect delay to a static peer, doubled per failure up to reconnectMaxMs. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** How long the peer that does not dial first waits for the other before dialling itself. */
  readonly dialGraceMs?: number;
  /**
   * Gossipsub P6 (IP colocation) weight. Default: 0 when every listen
   * address is loopback (a local testnet shares 127.0.0.1), otherwise -5.
   */
  readonly ipColocationFactorWeight?: number;
  /** A peer whose penalty score falls to this is disconnected and banned for banMs. */
  readonly banThreshold?: number;
  readonly banMs?: number;
  /** Half-life of the request-response penalty score. */
  readonly penaltyHalfLifeMs?: number;
}

export type ResolvedNetworkOptions = Required<NetworkOptions>;

export const MIB = 1024 * 1024;

/** DESIGN.md Defaults: the largest gossip message is 2 MiB, the same on every node. */
export const DEFAULT_MAX_GOSSIP_BYTES = 2 * MIB;
/**
 * Room for the gossipsub RPC envelope around one message (topic, control
 * messages piggy-backed on it). The stream-level cap (maxInboundDataLength)
 * is payload cap + this, identical on every node, so that an over-cap
 * payload reaches our validator (a counted, scored REJECT) instead of being
 * dropped at the frame level, which silently drops the sender's subscriptions.
 */
export const GOSSIP_FRAME_OVERHEAD = 64 * 1024;

export const NETWORK_DEFAULTS = {
  listen: ['/ip4/127.0.0.1/tcp/0'],
  staticPeers: [],
  maxGossipBytes: DEFAULT_MAX_GOSSIP_BYTES,
  // One block may carry a 1.5 MiB payload plus certificates; a sync response holds whole blocks,
  // so its server fills a response up to this cap (not a fixed count).
  maxFrameBytes: 4 * MIB,
  // A vote is answered in milliseconds; a sync response of a few MiB over a slow link in seconds.
  requestTimeoutMs: 10_000,
  maxInboundInflight: 64,
  maxOutboundInflight: 256,
  maxPendingValidations: 4096,
  reconnectMinMs: 250,
  reconnectMaxMs: 10_000,
  dialGraceMs: 2_000,
  banThreshold: -100,
  banMs: 60_000,
  penaltyHalfLifeMs: 60_000,
} as const;

function isLoopback(addr: string): boolean {
  return /^\/ip4\/127\./.test(addr) || /^\/ip6\/::1\//.test(addr);
}

export function resolveNetworkOptions(o: NetworkOptions): ResolvedNetworkOptions {
  const bad = (field: string, why: string): never => {
    throw new NetworkError('BAD_OPTIONS', `network option ${field}: ${why}`, { field });
  };
  if (!Number.isSafeInteger(o.chainId) || o.chainId < 0) bad('chainId', 'must be a non-negative integer');
  if (!(o.seed instanceof Uint8Array) || o.seed.length !== 32)
    bad('seed', 'must be the 32-byte ed25519 seed');
  const listen = o.listen ?? NETWORK_DEFAULTS.listen;
  const r: ResolvedNetworkOptions = {
    chainId: o.chainId,
    seed: o.seed,
    listen,
    staticPeers: o.staticPeers ?? NETWORK_DEFAULTS.staticPeers,
    maxGossipBytes: o.maxGossipBytes ?? NETWORK_DEFAULTS.maxGossipBytes,
    maxFrameBytes: o.maxFrameBytes ?? NETWORK_DEFAULTS.maxFrameBytes,
    requestTimeoutMs: o.requestTimeoutMs ?? NETWORK_DEFAULTS.requestTimeoutMs,
    maxInboundInflight: o.maxInboundInflight ?? NETWORK_DEFAULTS.maxInboundInflight,
    maxOutboundInflight: o.maxOutboundInflight ?? NETWORK_DEFAULTS.maxOutboundInflight,
    maxPendingValidations: o.maxPendingValidations ?? NETWORK_DEFAULTS.maxPendingValidations,
    reconnectMinMs: o.reconnectMinMs ?? NETWORK_DEFAULTS.reconnectMinMs,
    reconnectMaxMs: o.reconnectMaxMs ?? NETWORK_DEFAULTS.reconnectMaxMs,
    dialGraceMs: o.dialGraceMs ?? NETWORK_DEFAULTS.dialGraceMs,
    ipColocationFactorWeight: o.ipColocationFactorWeight ?? (listen.every(isLoopback) ? 0 : -5),
    banThreshold: o.banThreshold ?? NETWORK_DEFAULTS.banThreshold,
    banMs: o.banMs ?? NETWORK_DEFAULTS.banMs,
    penaltyHalfLifeMs: o.penaltyHalfLifeMs ?? NETWORK_DEFAULTS.penaltyHalfLifeMs,
  };
  const positive = [
    'maxGossipBytes',
    'maxFrameBytes',
    'requestTimeoutMs',
    'maxInboundInflight',
    'maxOutboundInflight',
    'maxPendingValidations',
    'reconnectMinMs',
    'reconnectMaxMs',
    'banMs',
    'penaltyHalfLifeMs',
  ] as const;
  for (const f of positive)
    if (!Number.isSafeInteger(r[f]) || r[f] <= 0) bad(f, 'must be a positive integer');
  if (!Number.isSafeInteger(r.dialGraceMs) || r.dialGraceMs < 0)
    bad('dialGraceMs', 'must be a non-negative integer');
  if (r.reconnectMaxMs < r.reconnectMinMs) bad('reconnectMaxMs', 'must be at least reconnectMinMs');
  if (r.ipColocationFactorWeight > 0) bad('ipColocationFactorWeight', 'must be 0 or negative');
  if (!(r.banThreshold < 0)) bad('banThreshold', 'must be negative');
  if (r.listen.length === 0) bad('listen', 'needs at least one address');
  return r;
}
