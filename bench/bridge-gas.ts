/**
 * Gas of the bridge contract on a real anvil (`npm run bench:bridge`): a later (not the first) checkpoint
 * signed by 4 of 4, 21 of 31, 67 of 100 and 100 of 100 equal-stake members, an ETH and an ERC-20 deposit,
 * and withdrawals with a 20-level proof. Each checkpoint is traced (debug_traceTransaction) to show where
 * its gas goes, next to the floor of this design (intrinsic + calldata + one ecrecover per signer + the two
 * storage slots a checkpoint must write). The last line is JSON (--json prints only that line).
 *
 * Gas is deterministic, so one run suffices; it depends slightly on the random bytes of addresses and
 * signatures (calldata costs 16 gas per non-zero byte, 4 per zero byte).
 */
import { bytesToHex, hexToBytes, keccak256, parseEther, toHex, type Hex } from 'viem';
import { startAnvil } from '../bridge/anvil.js';
import { artifact } from '../bridge/compile.js';
import { EMPTY_WITHDRAWALS_ROOT, type Checkpoint } from '../bridge/checkpoint.js';
import { BridgeClient } from '../bridge/client.js';
import { ETH } from '../bridge/contract.js';
import { deployBridge, TESTNET_TIMING } from '../bridge/deploy.js';
import { devCommittee, signByMembers, type DevCommittee } from '../bridge/devnet.js';
import { connectL1, deployContract, writeContract, type L1 } from '../bridge/l1.js';
import { compactSignature, packSignatures } from '../bridge/signatures.js';
import { withdrawalLeafHash, type WithdrawalLeaf } from '../bridge/withdrawals.js';
import { rootFromProof } from '../core/merkle.js';

const jsonOnly = process.argv.includes('--json');
const log = (s = ''): void => {
  if (!jsonOnly) console.log(s);
};

/** Equal stakes of 10^18 (a token with 18 decimals): realistic calldata, not the cheapest. */
const STAKE = 10n ** 18n;
const CASES = [
  [4, 4],
  [31, 21],
  [100, 67],
  [100, 100],
] as const;

interface Breakdown {
  gasUsed: bigint;
  intrinsic: bigint;
  calldata: bigint;
  ecrecover: bigint;
  sstore: bigint;
  sload: bigint;
  keccak: bigint;
  logs: bigint;
  other: bigint;
}

function calldataGas(input: Hex): bigint {
  let g = 0n;
  for (const b of hexToBytes(input)) g += b === 0 ? 4n : 16n;
  return g;
}

interface StructLog {
  op: string;
  gas: number;
  depth: number;
  stack?: string[];
}

/** Splits a transaction's execution gas by what it paid for, from the opcode trace. */
async function breakdown(l1: L1, hash: Hex): Promise<Breakdown> {
  const tx = await l1.public.getTransaction({ hash });
  const receipt = await l1.public.getTransactionReceipt({ hash });
  // Plain fetch: the trace of 100 signatures is larger than viem's 10 MB response limit.
  const res = await fetch(l1.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'debug_traceTransaction',
      params: [hash, { disableStorage: true, disableMemory: true }],
    }),
  });
  const trace = ((await res.json()) as { result: { structLogs: StructLog[] } }).result;
  const logs = trace.structLogs;
  const b: Breakdown = {
    gasUsed: receipt.gasUsed,
    intrinsic: 21_000n,
    calldata: calldataGas(tx.input),
    ecrecover: 0n,
    sstore: 0n,
    sload: 0n,
    keccak: 0n,
    logs: 0n,
    other: 0n,
  };
  for (let i = 0; i < logs.length; i++) {
    const s = logs[i]!;
    const next = logs[i + 1];
    if (s.depth !== 1 || next === undefined || next.depth !== 1) continue; // the bridge itself only
    const cost = BigInt(s.gas - next.gas);
    const to = s.stack !== undefined && s.stack.length >= 2 ? BigInt(s.stack[s.stack.length - 2]!) : -1n;
    if (s.op === 'STATICCALL' && to === 1n) b.ecrecover += cost;
    else if (s.op === 'SSTORE') b.sstore += cost;
    else if (s.op === 'SLOAD') b.sload += cost;
    else if (s.op === 'KECCAK256' || s.op === 'SHA3') b.keccak += cost;
    else if (s.op.startsWith('LOG')) b.logs += cost;
  }
  b.other = b.gasUsed - b.intrinsic - b.calldata - b.ecrecover - b.sstore - b.sload - b.keccak - b.logs;
  return b;
}

function checkpoint(
  sequence: bigint,
  withdrawals: { root: Hex; count: bigint } = { root: EMPTY_WITHDRAWALS_ROOT, count: 0n },
  extra: Partial<Checkpoint> = {},
): Checkpoint {
  return {
    chainId: 1n,
    sequence,
    epoch: 1n,
    beaconHeightFrom: sequence * 32n,
    beaconHeightTo: sequence * 32n + 31n,
    previousCheckpoint: keccak256(toHex(`previous ${sequence}`)),
    beaconBlockHash: keccak256(toHex(`beacon block ${sequence}`)),
    withdrawalsRoot: withdrawals.root,
    withdrawalsCount: withdrawals.count,
    depositNonce: 0n,
    depositHash: `0x${'00'.repeat(32)}`,
    nextCommitteeHash: `0x${'00'.repeat(32)}`,
    unpause: false,
    ...extra,
  };
}

async function submit(
  l1: L1,
  bridge: Awaited<ReturnType<typeof deployBridge>>['contract'],
  dev: DevCommittee,
  cp: Checkpoint,
  signers: number,
) {
  const indices = Array.from({ length: signers }, (_, i) => i);
  const sigs = await signByMembers(dev, cp, bridge.domain, indices);
  const packed = packSignatures(
    indices.map((index, k) => ({ index, ...compactSignature(sigs[k]!.signature) })),
  );
  const r = await bridge.submitCheckpoint(cp, dev.committee.words, packed);
  if (r.outcome !== 'accepted') throw new Error(`checkpoint ${cp.sequence} was ${r.outcome}`);
  return r.receipt;
}

const fmt = (n: bigint | number): string => n.toLocaleString('en-US');

// Steps tracing makes debug_traceTransaction return the opcode trace the breakdown needs.
const anvil = await startAnvil({ extraArgs: ['--steps-tracing'] });
try {
  const l1 = await connectL1(anvil.rpcUrl, { privateKey: anvil.privateKeys[0]!, pollingIntervalMs: 10 });
  const user = await connectL1(anvil.rpcUrl, { privateKey: anvil.privateKeys[1]!, pollingIntervalMs: 10 });
  const a = await artifact('HotshardBridge');
  log(`bridge gas on anvil (HotshardBridge ${fmt(a.runtimeSize)} bytes of runtime code)`);
  log('');
  log(
    'checkpoints: a later one (not the first), equal stakes of 10^18, committee and signatures in calldata',
  );
  log(
    'signers      gasUsed   intrinsic  calldata  ecrecover   SSTORE   SLOAD  keccak   logs   other     floor',
  );

  const result: {
    checkpoint: Record<string, number>;
    depositEth: number;
    depositErc20: number;
    withdraw: number;
    withdrawFirst: number;
  } = {
    checkpoint: {},
    depositEth: 0,
    depositErc20: 0,
    withdraw: 0,
    withdrawFirst: 0,
  };
  for (const [size, signers] of CASES) {
    const dev = devCommittee(
      Array.from({ length: size }, () => STAKE),
      `bench-${size}`,
    );
    const { contract } = await deployBridge(l1, dev.committee, {
      sidechainChainId: 1n,
      genesisHash: keccak256(toHex('bench genesis')),
      guardian: l1.account!.address,
      ...TESTNET_TIMING,
      defaultLimit: 10n ** 30n,
      limits: [],
    });
    // The first checkpoint pays for the state slot going from zero; measure the second.
    await submit(
      l1,
      contract,
      dev,
      checkpoint(1n, { root: keccak256(toHex('root 1')), count: 10n }),
      signers,
    );
    const receipt = await submit(
      l1,
      contract,
      dev,
      checkpoint(2n, { root: keccak256(toHex('root 2')), count: 20n }),
      signers,
    );
    const b = await breakdown(l1, receipt.transactionHash);
    // Floor of this design: intrinsic, calldata, 3,000 + 100 per ecrecover, two new slots, the state slot.
    const floor = b.intrinsic + b.calldata + BigInt(signers) * 3_100n + 2n * 22_100n + 5_000n;
    result.checkpoint[String(signers)] = Number(b.gasUsed);
    log(
      `${`${signers} of ${size}`.padEnd(10)} ${fmt(b.gasUsed).padStart(9)} ${fmt(b.intrinsic).padStart(10)} ${fmt(b.calldata).padStart(9)} ${fmt(b.ecrecover).padStart(10)} ${fmt(b.sstore).padStart(8)} ${fmt(b.sload).padStart(7)} ${fmt(b.keccak).padStart(7)} ${fmt(b.logs).padStart(6)} ${fmt(b.other).padStart(7)} ${fmt(floor).padStart(9)}`,
    );
  }
  const g67 = result.checkpoint['67']!;
  log(
    `67 of 100: ${fmt(g67)} gas; goal < 450,000 ${g67 < 450_000 ? 'met' : 'MISSED'}, stretch < 400,000 ${g67 < 400_000 ? 'met' : 'missed'}; Polygon PoS's stake-weighted check: about 508,000`,
  );
  log('');

  // Deposits and withdrawals on a bridge of 4.
  const dev = devCommittee([STAKE, STAKE, STAKE, STAKE], 'bench-4');
  const { contract, deployBlock } = await deployBridge(l1, dev.committee, {
    sidechainChainId: 1n,
    genesisHash: keccak256(toHex('bench genesis')),
    guardian: l1.account!.address,
    ...TESTNET_TIMING,
    defaultLimit: 10n ** 30n,
    limits: [],
  });
  const client = new BridgeClient(contract.connect(user), deployBlock);
  const token = (await deployContract(l1, await artifact('TestToken'), ['Bench', 'BNC'], 'TestToken'))
    .address;
  await writeContract(l1, {
    address: token,
    abi: (await artifact('TestToken')).abi,
    functionName: 'mint',
    args: [user.account!.address, parseEther('1000')],
  });
  const recipient: Hex = `0x${'5a'.repeat(20)}`;
  const eth1 = await client.depositEth(recipient, parseEther('1'));
  const eth2 = await client.depositEth(recipient, parseEther('1'));
  const erc1 = await client.depositErc20(token, parseEther('10'), recipient);
  const erc2 = await client.depositErc20(token, parseEther('10'), recipient);
  result.depositEth = Number(eth2.gasUsed);
  result.depositErc20 = Number(erc2.gasUsed);
  log(`deposits (the deposit transaction alone; approve not included):`);
  log(`  ETH     first ${fmt(eth1.gasUsed)}, later ${fmt(eth2.gasUsed)}`);
  log(`  ERC-20  first ${fmt(erc1.gasUsed)}, later ${fmt(erc2.gasUsed)}`);

  // Two withdrawals at leaves 0 and 1 of a tree of 2^20 leaves: 20-level proofs, random siblings above.
  const to = (i: number): WithdrawalLeaf => ({
    id: BigInt(i),
    recipient: `0x${(0xbeef00 + i).toString(16).padStart(40, '0')}`,
    token: ETH,
    amount: parseEther('0.1'),
  });
  const size = 2 ** 20;
  const upper = Array.from({ length: 19 }, (_, i) => hexToBytes(keccak256(toHex(`sibling ${i}`))));
  const h0 = withdrawalLeafHash(to(0));
  const h1 = withdrawalLeafHash(to(1));
  const proof0 = [h1, ...upper];
  const proof1 = [h0, ...upper];
  const root = rootFromProof(h0, 0, size, proof0)!;
  if (bytesToHex(rootFromProof(h1, 1, size, proof1)!) !== bytesToHex(root))
    throw new Error('the two proofs disagree');
  const cp = checkpoint(
    1n,
    { root: bytesToHex(root), count: BigInt(size) },
    { depositNonce: 4n, depositHash: erc2.depositHash },
  );
  const sigs = await signByMembers(dev, cp, contract.domain, [0, 1, 2]);
  await contract.submitCheckpoint(
    cp,
    dev.committee.words,
    packSignatures([0, 1, 2].map((index, k) => ({ index, ...compactSignature(sigs[k]!.signature) }))),
  );
  await l1.public.request({
    method: 'evm_increaseTime' as never,
    params: [Number(TESTNET_TIMING.withdrawalDelay) + 1] as never,
  });
  await l1.public.request({ method: 'evm_mine' as never, params: [] as never });
  const w0 = await client.withdraw(bytesToHex(root), {
    withdrawal: to(0),
    index: 0,
    size,
    proof: proof0.map((p) => bytesToHex(p)),
  });
  const w1 = await client.withdraw(bytesToHex(root), {
    withdrawal: to(1),
    index: 1,
    size,
    proof: proof1.map((p) => bytesToHex(p)),
  });
  result.withdrawFirst = Number(w0.gasUsed);
  result.withdraw = Number(w1.gasUsed);
  log(
    `withdrawal of ETH with a 20-level proof (tree of 2^20 leaves): first ${fmt(w0.gasUsed)} (new paid-bitmap word and period counter), later ${fmt(w1.gasUsed)}`,
  );
  log('');
  console.log(JSON.stringify(result));
} finally {
  await anvil.stop();
}
