/** Typed errors of the bridge's TypeScript side (the contract's own reverts are decoded into `CONTRACT_REVERT`). */
import { HotshardError } from '../core/errors.js';

export type BridgeErrorCode =
  /** solc reported errors, or the contracts could not be read. */
  | 'COMPILE_FAILED'
  /** A committee, genesis or network file is missing fields or has bad values. */
  | 'BAD_CONFIG'
  /** A committee member's stake does not fit in 96 bits, or an address is not 20 bytes. */
  | 'BAD_COMMITTEE'
  /** A checkpoint field is out of range. */
  | 'BAD_CHECKPOINT'
  /** A signature does not come from the committee member it claims, or two claim one member. */
  | 'BAD_SIGNATURE'
  /** The signatures carry no more than two thirds of the stake. */
  | 'NO_QUORUM'
  /** A withdrawal is not in the tree, or the tree is not append-only. */
  | 'BAD_WITHDRAWAL'
  /** Deposit events skip a nonce or do not chain to the previous hash. */
  | 'DEPOSIT_GAP'
  /** The contract reverted; `context.reason` names the Solidity error. */
  | 'CONTRACT_REVERT'
  /** The Ethereum node did not answer as expected. */
  | 'RPC'
  /** anvil could not be started. */
  | 'ANVIL';

export class BridgeError extends HotshardError<BridgeErrorCode, Record<string, unknown>> {}
