/**
 * Gossipsub peer scoring for hotshard's topics (TOOLCHAIN.md, gossipsub 17).
 *
 * - Rejects count only on topics listed in `scoreParams.topics`: every topic
 *   we subscribe to gets `topicScoreParams()` (added when subscribing).
 * - P4, invalid messages: weight -10 per topic, squared counter, slow decay,
 *   so a handful of invalid messages takes a peer below the gossip threshold
 *   and a burst below the graylist threshold.
 * - P3/P3b, mesh delivery deficits: off (weight 0). Our topics are quiet
 *   (a proposal per round, batches only under load); with them on, an honest
 *   quiet peer gets graylisted within seconds.
 * - P1, time in mesh: a small bonus with a 1 s quantum (the 1 ms default pins
 *   the score at its cap and hides penalties).
 * - P6, IP colocation: 0 on a local testnet where every node is 127.0.0.1.
 * - P5, application score: the request-response penalties (PeerPenalties).
 */
import {
  createTopicScoreParams,
  type PeerScoreParams,
  type PeerScoreThresholds,
  type TopicScoreParams,
} from '@libp2p/gossipsub/score';

export function topicScoreParams(): TopicScoreParams {
  return createTopicScoreParams({
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1_000,
    timeInMeshCap: 300, // at most +3
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 20, // at most +10
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 100,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5_000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: -10,
    // Per decay interval (1 s): the counter halves in about 23 s.
    invalidMessageDeliveriesDecay: 0.97,
  });
}

export function peerScoreParams(opts: {
  ipColocationFactorWeight: number;
  appScore: (peerId: string) => number;
}): Partial<PeerScoreParams> {
  return {
    topics: {},
    topicScoreCap: 20,
    appSpecificScore: opts.appScore,
    appSpecificWeight: 1,
    IPColocationFactorWeight: opts.ipColocationFactorWeight,
    IPColocationFactorThreshold: 10,
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: 0.9,
    decayInterval: 1_000,
    decayToZero: 0.01,
    retainScore: 10 * 60_000,
  };
}

/** Gossipsub's default thresholds: below 0 a peer is not grafted; -10 no gossip; -50 no publish; -80 graylisted. */
export const SCORE_THRESHOLDS: Partial<PeerScoreThresholds> = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 5,
};
