import { HotshardError } from '../../core/errors.js';

/**
 * Failures of the network layer as its callers see them:
 * - NOT_STARTED / CLOSED: used before start() or after stop().
 * - BAD_OPTIONS: options out of range (caught at construction).
 * - BAD_TOPIC / BAD_PROTOCOL: a name that is not a hotshard topic or protocol.
 * - TOO_LARGE: an outbound payload over its cap (gossip 2 MiB, req-resp frame cap).
 * - NO_PEER: no connection to the peer and no address to dial it.
 * - UNKNOWN_VALIDATOR: a (committee, index) target without a known peer id.
 * - TIMEOUT: no response within the request timeout.
 * - STREAM_CLOSED: the stream ended before the response arrived.
 * - REMOTE_ERROR: the remote handler answered with an error (`context.remoteCode`).
 * - NO_HANDLER: no handler for an inbound protocol (answered to the remote).
 * - BUSY: too many requests in flight to one peer.
 * - PUBLISH_FAILED: gossipsub refused the message.
 */
export type NetworkErrorCode =
  | 'NOT_STARTED'
  | 'CLOSED'
  | 'BAD_OPTIONS'
  | 'BAD_TOPIC'
  | 'BAD_PROTOCOL'
  | 'TOO_LARGE'
  | 'NO_PEER'
  | 'UNKNOWN_VALIDATOR'
  | 'TIMEOUT'
  | 'STREAM_CLOSED'
  | 'REMOTE_ERROR'
  | 'NO_HANDLER'
  | 'BUSY'
  | 'PUBLISH_FAILED';

export class NetworkError extends HotshardError<NetworkErrorCode> {}

/** The verdict on an inbound gossip message (Lodestar's GossipAction, plus accept). */
export type GossipVerdict = 'accept' | 'ignore' | 'reject';

/**
 * What a gossip validator throws to refuse a message: IGNORE for what is
 * stale, duplicate or not checkable yet (no penalty), REJECT for what is
 * provably invalid (the sender's score drops). The `code` names the rule.
 */
export class GossipValidationError extends HotshardError<string, Record<string, unknown>> {
  constructor(
    readonly action: Exclude<GossipVerdict, 'accept'>,
    code: string,
    message: string,
    context?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(code, message, context, options);
  }
}
