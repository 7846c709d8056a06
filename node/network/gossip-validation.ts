/**
 * The one verdict path of inbound gossip (Lodestar's gossipValidatorFn):
 * a validator decodes and checks a message and returns its value, or throws
 * a typed error carrying IGNORE or REJECT; this adapter turns the outcome
 * into the gossipsub verdict (which also drives peer scoring) and counts it
 * in metrics. The size cap is checked here, before any decoding.
 *
 * Mapping of thrown errors:
 * - GossipValidationError: its `action`.
 * - an error with a `verdict` of 'ignore' / 'reject' (ConsensusError): that verdict.
 * - CodecError: REJECT (decoding is deterministic: bytes that do not decode
 *   are invalid for every honest node).
 * - anything else: IGNORE, logged as an error. A bug of ours must not get
 *   honest peers scored down.
 */
import { CodecError, HotshardError } from '../../core/errors.js';
import type { Logger } from '../logger.js';
import { GossipValidationError, type GossipVerdict } from './errors.js';
import type { NetworkMetrics } from './metrics.js';
import { metricLabel } from './topics.js';

export interface GossipContext {
  readonly topic: string;
  /** The peer that sent us the message (the propagation source, not necessarily its author). */
  readonly from: string;
  /** Gossipsub message id (hex of SHA-256 over topic and data). */
  readonly msgId: string;
}

/** Decodes and checks a message; returns the value handed to the handler, or throws (see the module comment). */
export type GossipValidator<T> = (data: Uint8Array, ctx: GossipContext) => T | Promise<T>;

/** Receives each accepted message once. */
export type GossipHandler<T> = (value: T, ctx: GossipContext) => void | Promise<void>;

export interface Refusal {
  readonly verdict: Exclude<GossipVerdict, 'accept'>;
  readonly code: string;
}

/** The verdict of a thrown validation error. */
export function refusalOf(err: unknown): Refusal {
  if (err instanceof GossipValidationError) return { verdict: err.action, code: err.code };
  const verdict = (err as { verdict?: unknown } | null)?.verdict;
  if (err instanceof HotshardError && (verdict === 'ignore' || verdict === 'reject'))
    return { verdict, code: String(err.code) };
  if (err instanceof CodecError) return { verdict: 'reject', code: `CODEC_${err.code}` };
  if (err instanceof HotshardError) return { verdict: 'ignore', code: String(err.code) };
  return { verdict: 'ignore', code: 'INTERNAL' };
}

export type GossipOutcome<T> = { readonly verdict: 'accept'; readonly value: T } | Refusal;

/**
 * Runs `validator` on one inbound message with the size cap first, and
 * records the verdict. Never throws.
 */
export async function validateGossip<T>(
  data: Uint8Array,
  ctx: GossipContext,
  validator: GossipValidator<T>,
  maxBytes: number,
  metrics: NetworkMetrics | null,
  log: Logger,
): Promise<GossipOutcome<T>> {
  const topic = metricLabel(ctx.topic);
  let outcome: GossipOutcome<T>;
  if (data.length > maxBytes) {
    outcome = { verdict: 'reject', code: 'TOO_LARGE' };
  } else {
    const stop = metrics?.gossipValidationSeconds.startTimer({ topic });
    try {
      outcome = { verdict: 'accept', value: await validator(data, ctx) };
    } catch (err) {
      outcome = refusalOf(err);
      if (outcome.code === 'INTERNAL')
        log.error('gossip validator failed unexpectedly', { topic: ctx.topic, err });
    }
    stop?.();
  }
  metrics?.gossipVerdicts.inc({ topic, verdict: outcome.verdict });
  if (outcome.verdict !== 'accept') {
    metrics?.gossipRejectCodes.inc({ topic, code: outcome.code });
    if (outcome.verdict === 'reject')
      log.debug('gossip message rejected', {
        topic: ctx.topic,
        from: ctx.from,
        code: outcome.code,
        bytes: data.length,
      });
  }
  return outcome;
}
