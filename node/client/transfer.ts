/**
 * Building, signing and sending a transfer as a user's wallet would: the
 * sender's nonce and shard come from hs_getAccount, the chain id from
 * hs_status, the encoding and signing bytes from shards/transaction.ts.
 * Used by `hotshard tx transfer`, the e2e tests and (without the look-ups)
 * the benchmark.
 */
import { addressToHex } from '../../core/address.js';
import { toHex } from '../../core/bytes.js';
import type { Ed25519KeyPair } from '../../core/ed25519.js';
import { NATIVE_ASSET_ID } from '../../genesis/asset-id.js';
import { DEFAULT_FEE_PARAMS } from '../../genesis/types.js';
import {
  signTransaction,
  TxKind,
  type SignedTransaction,
  type Transaction,
} from '../../shards/transaction.js';
import type { HotshardClient } from './client.js';
import { RpcError } from './errors.js';

/** How long a transaction stays valid by default: long enough for a stalled network to recover. */
export const DEFAULT_EXPIRY_MS = 10 * 60_000;

export interface TransferFields {
  readonly chainId: number;
  readonly shardId: number;
  readonly sender: Ed25519KeyPair;
  readonly nonce: bigint;
  readonly to: Uint8Array;
  readonly amount: bigint;
  readonly asset?: Uint8Array;
  readonly fee?: bigint;
  /** Absolute expiry (ms since the epoch); default now + 10 minutes. */
  readonly expiry?: number;
}

/** A signed transfer; `fast` signs with node:crypto (the same bytes, ten times faster). */
export function buildTransfer(f: TransferFields, options: { fast?: boolean } = {}): SignedTransaction {
  const tx: Transaction = {
    chainId: f.chainId,
    shardId: f.shardId,
    kind: TxKind.transfer,
    senderPublicKey: f.sender.publicKey,
    nonce: f.nonce,
    fee: f.fee ?? DEFAULT_FEE_PARAMS.minTransferFee,
    expiry: f.expiry ?? Date.now() + DEFAULT_EXPIRY_MS,
    recipient: f.to,
    asset: f.asset ?? NATIVE_ASSET_ID,
    amount: f.amount,
  };
  return signTransaction(tx, f.sender.seed, options);
}

export interface SendTransferOptions {
  readonly to: Uint8Array;
  readonly amount: bigint;
  readonly asset?: Uint8Array;
  readonly fee?: bigint;
  /** Default: the sender's committed nonce (hs_getAccount). */
  readonly nonce?: bigint;
  readonly expiry?: number;
}

export interface SentTransfer {
  readonly hash: string;
  readonly nonce: bigint;
  readonly shard: number;
  readonly tx: SignedTransaction;
}

/**
 * Reads the sender's nonce and shard and the chain id, signs the transfer
 * and submits it. Resolves once the node's mempool accepted it.
 */
export async function sendTransfer(
  client: HotshardClient,
  sender: Ed25519KeyPair,
  senderAddress: Uint8Array,
  o: SendTransferOptions,
): Promise<SentTransfer> {
  const [status, account] = await Promise.all([
    client.status(),
    client.getAccount(addressToHex(senderAddress)),
  ]);
  if (account.shard !== status.shard) {
    throw new RpcError(
      'BAD_URL',
      `the sender ${addressToHex(senderAddress)} lives on shard ${account.shard}, but ${client.url} serves shard ${status.shard}; send to a validator of shard ${account.shard}`,
      { url: client.url },
    );
  }
  const nonce = o.nonce ?? account.nonce;
  const stx = buildTransfer({
    chainId: status.chainId,
    shardId: account.shard,
    sender,
    nonce,
    to: o.to,
    amount: o.amount,
    ...(o.asset !== undefined ? { asset: o.asset } : {}),
    ...(o.fee !== undefined ? { fee: o.fee } : {}),
    ...(o.expiry !== undefined ? { expiry: o.expiry } : {}),
  });
  const local = '0x' + toHex(stx.hash);
  const { hash } = await client.sendTransaction(stx.bytes);
  if (hash !== local) {
    throw new RpcError(
      'BAD_RESPONSE',
      `the node named the transaction ${hash}, its hash is ${local}; is this a hotshard node of the same version?`,
      {
        url: client.url,
      },
    );
  }
  return { hash, nonce, shard: account.shard, tx: stx };
}
