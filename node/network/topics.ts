/**
 * Names of gossip topics and request-response protocols.
 *
 * Gossip topics are per chain and committee:
 *   /hotshard/<chainId>/<committee>/<kind>/1
 * where <committee> is the shard id in decimal or `beacon`, and <kind> is
 * `txs` (transaction batches) or `proposals`. Request-response protocols are
 * per chain: /hotshard/<chainId>/consensus/1 (votes and timeouts to one
 * validator) and /hotshard/<chainId>/sync/1 (committed blocks with their
 * certificates, blocks by id).
 */
import { BEACON_COMMITTEE_ID } from '../../consensus/types.js';
import { NetworkError } from './errors.js';

export type GossipKind = 'txs' | 'proposals';
export const GOSSIP_KINDS: readonly GossipKind[] = ['txs', 'proposals'];

export type ReqRespKind = 'consensus' | 'sync';
export const REQRESP_KINDS: readonly ReqRespKind[] = ['consensus', 'sync'];

function checkChainId(chainId: number): void {
  if (!Number.isSafeInteger(chainId) || chainId < 0)
    throw new NetworkError('BAD_TOPIC', `chain id ${chainId} is not a non-negative integer`);
}

export function committeeLabel(committeeId: number): string {
  if (committeeId === BEACON_COMMITTEE_ID) return 'beacon';
  if (!Number.isInteger(committeeId) || committeeId < 0 || committeeId >= BEACON_COMMITTEE_ID) {
    throw new NetworkError('BAD_TOPIC', `committee id ${committeeId} is neither a shard id nor the beacon`);
  }
  return String(committeeId);
}

/** `/hotshard/<chainId>/<committee>/<kind>/1` */
export function gossipTopic(chainId: number, committeeId: number, kind: GossipKind): string {
  checkChainId(chainId);
  if (!GOSSIP_KINDS.includes(kind))
    throw new NetworkError('BAD_TOPIC', `unknown gossip kind ${String(kind)}`);
  return `/hotshard/${chainId}/${committeeLabel(committeeId)}/${kind}/1`;
}

export interface ParsedTopic {
  readonly chainId: number;
  readonly committeeId: number;
  readonly kind: GossipKind;
}

const TOPIC_RE = /^\/hotshard\/(0|[1-9][0-9]{0,15})\/(beacon|0|[1-9][0-9]{0,4})\/([a-z]+)\/1$/;

/** Parses a hotshard gossip topic; null for anything else. */
export function parseGossipTopic(topic: string): ParsedTopic | null {
  const m = TOPIC_RE.exec(topic);
  if (m === null) return null;
  const chainId = Number(m[1]);
  const committeeId = m[2] === 'beacon' ? BEACON_COMMITTEE_ID : Number(m[2]);
  const kind = m[3] as GossipKind;
  if (
    !Number.isSafeInteger(chainId) ||
    (m[2] !== 'beacon' && committeeId >= BEACON_COMMITTEE_ID) ||
    !GOSSIP_KINDS.includes(kind)
  )
    return null;
  return { chainId, committeeId, kind };
}

/** `/hotshard/<chainId>/<kind>/1` */
export function reqRespProtocol(chainId: number, kind: ReqRespKind): string {
  checkChainId(chainId);
  if (!REQRESP_KINDS.includes(kind))
    throw new NetworkError('BAD_PROTOCOL', `unknown request-response kind ${String(kind)}`);
  return `/hotshard/${chainId}/${kind}/1`;
}

/** A short label of a topic or protocol for metrics: `<committee>/<kind>` or `<kind>`. */
export function metricLabel(topicOrProtocol: string): string {
  const t = parseGossipTopic(topicOrProtocol);
  if (t !== null) return `${committeeLabel(t.committeeId)}/${t.kind}`;
  const m = /^\/hotshard\/[0-9]+\/([a-z]+)\/1$/.exec(topicOrProtocol);
  return m !== null ? m[1]! : 'other';
}
