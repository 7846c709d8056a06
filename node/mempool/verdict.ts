/**
 * The gossip verdict of a whole transaction batch, from its transactions'
 * admission results (the network layer reports it to gossipsub).
 *
 * - REJECT when any transaction is provably invalid: an honest node only
 *   publishes transactions it admitted itself, so the peer that sent or
 *   forwarded the batch did not validate it.
 * - ACCEPT when at least one transaction is new to us: the batch is worth
 *   forwarding.
 * - IGNORE otherwise (all duplicates, stale or refused for capacity): do not
 *   forward, do not penalise.
 */
import { decodeTxBatch } from './batch.js';
import { MEMPOOL_ERROR_VERDICT, MempoolError, type GossipVerdict } from './errors.js';
import type { AdmitResult } from './types.js';

export function batchVerdict(results: readonly AdmitResult[]): GossipVerdict {
  let accepted = false;
  for (const r of results) {
    if (r.ok) accepted = true;
    else if (MEMPOOL_ERROR_VERDICT[r.error.code] === 'REJECT') return 'REJECT';
  }
  return accepted ? 'ACCEPT' : 'IGNORE';
}

/**
 * Validates one gossip message of transactions: decodes the batch (a
 * malformed or oversized batch is REJECT), admits its transactions, and
 * returns the verdict for gossipsub with every transaction's result.
 */
export async function admitGossipBatch(
  mempool: { addBatch(txs: readonly Uint8Array[]): Promise<AdmitResult[]> },
  message: Uint8Array,
): Promise<{ verdict: GossipVerdict; results: AdmitResult[]; error: MempoolError | null }> {
  let txs: Uint8Array[];
  try {
    txs = decodeTxBatch(message);
  } catch (err) {
    if (err instanceof MempoolError) return { verdict: err.verdict, results: [], error: err };
    throw err;
  }
  const results = await mempool.addBatch(txs);
  return { verdict: batchVerdict(results), results, error: null };
}
