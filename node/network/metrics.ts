/** Network metrics (names carry units; created on the registry passed in). */
import type { Counter, Gauge, Histogram, MetricsRegistry } from '../metrics/registry.js';

export interface NetworkMetrics {
  readonly peers: Gauge;
  readonly dials: Counter<'result'>;
  readonly gossipPublished: Counter<'topic'>;
  readonly gossipPublishedBytes: Counter<'topic'>;
  readonly gossipVerdicts: Counter<'topic' | 'verdict'>;
  readonly gossipRejectCodes: Counter<'topic' | 'code'>;
  readonly gossipDropped: Counter<'topic' | 'reason'>;
  readonly gossipValidationSeconds: Histogram<'topic'>;
  readonly reqRespRequests: Counter<'protocol' | 'direction' | 'result'>;
  readonly reqRespMessages: Counter<'protocol' | 'direction'>;
  readonly reqRespSeconds: Histogram<'protocol'>;
  readonly reqRespInvalidFrames: Counter<'protocol' | 'reason'>;
  readonly penalties: Counter<'reason'>;
  readonly bans: Counter;
}

export function createNetworkMetrics(r: MetricsRegistry): NetworkMetrics {
  return {
    peers: r.gauge({ name: 'hotshard_p2p_peers', help: 'Connected peers' }),
    dials: r.counter({
      name: 'hotshard_p2p_dials_total',
      help: 'Dials of static peers, by result',
      labelNames: ['result'],
    }),
    gossipPublished: r.counter({
      name: 'hotshard_gossip_published_total',
      help: 'Messages published, by topic',
      labelNames: ['topic'],
    }),
    gossipPublishedBytes: r.counter({
      name: 'hotshard_gossip_published_bytes_total',
      help: 'Bytes published, by topic',
      labelNames: ['topic'],
    }),
    gossipVerdicts: r.counter({
      name: 'hotshard_gossip_messages_total',
      help: 'Inbound gossip messages, by topic and validation verdict (accept, ignore, reject)',
      labelNames: ['topic', 'verdict'],
    }),
    gossipRejectCodes: r.counter({
      name: 'hotshard_gossip_refused_total',
      help: 'Inbound gossip messages ignored or rejected, by topic and error code',
      labelNames: ['topic', 'code'],
    }),
    gossipDropped: r.counter({
      name: 'hotshard_gossip_dropped_total',
      help: 'Inbound gossip messages dropped before validation (queue full), by topic',
      labelNames: ['topic', 'reason'],
    }),
    gossipValidationSeconds: r.histogram({
      name: 'hotshard_gossip_validation_seconds',
      help: 'Time to validate one inbound gossip message, by topic',
      labelNames: ['topic'],
    }),
    reqRespRequests: r.counter({
      name: 'hotshard_reqresp_requests_total',
      help: 'Requests, by protocol, direction (inbound, outbound) and result (ok, error, timeout, closed)',
      labelNames: ['protocol', 'direction', 'result'],
    }),
    reqRespMessages: r.counter({
      name: 'hotshard_reqresp_messages_total',
      help: 'One-way direct messages, by protocol and direction',
      labelNames: ['protocol', 'direction'],
    }),
    reqRespSeconds: r.histogram({
      name: 'hotshard_reqresp_request_seconds',
      help: 'Round trip of an outbound request, by protocol',
      labelNames: ['protocol'],
    }),
    reqRespInvalidFrames: r.counter({
      name: 'hotshard_reqresp_invalid_frames_total',
      help: 'Garbage on request-response streams (oversized, malformed, unexpected frames), by protocol and reason',
      labelNames: ['protocol', 'reason'],
    }),
    penalties: r.counter({
      name: 'hotshard_p2p_penalties_total',
      help: 'Penalties applied to peers, by reason',
      labelNames: ['reason'],
    }),
    bans: r.counter({
      name: 'hotshard_p2p_bans_total',
      help: 'Peers disconnected and banned for a low penalty score',
    }),
  };
}
