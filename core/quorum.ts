/**
 * Stake-weighted thresholds (DESIGN.md, Quorums). Stake decides, never head
 * counts; the same rule holds on Ethereum.
 */

/** More than two thirds of the total stake: `3 * signed > 2 * total`. */
export function isQuorum(signed: bigint, total: bigint): boolean {
  return 3n * signed > 2n * total;
}

/** More than one third of the total stake (the "f+1" threshold): `3 * signed > total`. */
export function exceedsOneThird(signed: bigint, total: bigint): boolean {
  return 3n * signed > total;
}
