/**
 * The bridge against a real anvil: deposits (ETH, an ERC-20, a fee-on-transfer token) read back by the
 * watcher from finalized blocks, checkpoints by 4 equal stakes and by skewed stakes, idempotent relaying,
 * withdrawals with proofs after the delay (with the status a user sees), a committee change, pauses and the
 * freeze on two checkpoints with one sequence number.
 */
import t from 'tap';
import { parseEther, zeroHash, type Address, type Hex } from 'viem';
import { checkpointHash } from '../../bridge/checkpoint.js';
import { BridgeClient } from '../../bridge/client.js';
import { PAUSED_BY_DEPOSIT_MISMATCH, PAUSED_BY_GUARDIAN } from '../../bridge/contract.js';
import { depositChainHash, type Deposit } from '../../bridge/deposits.js';
import { devCommittee, signByMembers } from '../../bridge/devnet.js';
import { Relayer } from '../../bridge/relayer.js';
import { packSignatures, compactSignature } from '../../bridge/signatures.js';
import { DepositWatcher } from '../../bridge/watcher.js';
import {
  all,
  balanceOf,
  callToken,
  CheckpointChain,
  DELAY,
  deployTest,
  ETH,
  execute,
  increaseTime,
  mineBlocks,
  recipientOf,
  signed,
  snapshot,
  startBridgeEnv,
  TIMELOCK,
  type BridgeEnv,
} from '../unit/bridge/fixtures.js';

let env: BridgeEnv;
let token: Address;
let feeToken: Address;
const chain = new CheckpointChain();
const deposits: Deposit[] = [];

t.before(async () => {
  env = await startBridgeEnv({ stakes: [10n, 10n, 10n, 10n], seed: 'bridge-e2e' });
  token = await deployTest(env.deployer, 'TestToken', ['Test', 'TST']);
  feeToken = await deployTest(env.deployer, 'FeeOnTransferToken', [100n]); // 1% burnt per transfer
});
t.teardown(async () => {
  await env?.stop();
});

const alice = () => env.users[0]!;
const bob = () => env.users[1]!;
const aliceClient = () => new BridgeClient(env.bridge.connect(alice()), env.deployBlock);

async function submit(cp: Parameters<CheckpointChain['advance']>[0], indices = [0, 1, 2], dev = env.dev) {
  const sub = await signed(env, cp, indices, dev);
  const r = await env.bridge.submitCheckpoint(sub.checkpoint, sub.members, sub.signatures);
  chain.advance(cp);
  return r;
}

t.test(
  'deposits of ETH, an ERC-20 and a fee-on-transfer token, read back in nonce order from finalized blocks',
  async (t) => {
    const client = aliceClient();
    const me = alice().account!.address;
    await callToken(env.deployer, token, 'mint', [me, parseEther('1000')]);
    await callToken(env.deployer, feeToken, 'mint', [me, 1_000_000n]);

    const d1 = await client.depositEth(recipientOf(1), parseEther('3'));
    const d2 = await client.depositErc20(token, parseEther('100'), recipientOf(2));
    const d3 = await client.depositErc20(feeToken, 10_000n, recipientOf(3));
    const d4 = await client.depositEth(recipientOf(4), parseEther('1'));
    t.same([d1.nonce, d2.nonce, d3.nonce, d4.nonce], [1n, 2n, 3n, 4n], 'sequential nonces');
    t.equal(d3.amount, 9_900n, 'the fee-on-transfer deposit credits what the bridge received');

    deposits.push(
      { nonce: 1n, token: ETH, sender: me, recipient: recipientOf(1), amount: parseEther('3') },
      { nonce: 2n, token, sender: me, recipient: recipientOf(2), amount: parseEther('100') },
      { nonce: 3n, token: feeToken, sender: me, recipient: recipientOf(3), amount: 9_900n },
      { nonce: 4n, token: ETH, sender: me, recipient: recipientOf(4), amount: parseEther('1') },
    );
    t.equal(
      await env.bridge.depositHash(4n),
      depositChainHash(deposits),
      'h[4] is the sha256 chain of the four deposits',
    );
    t.equal(d4.depositHash, depositChainHash(deposits));
    for (const [asset, expected] of [
      [ETH, parseEther('4')],
      [token, parseEther('100')],
      [feeToken, 9_900n],
    ] as const) {
      t.equal(await env.bridge.lockedBalance(asset), expected, `accounting of ${asset}`);
      t.equal(await balanceOf(env.deployer, asset, env.bridge.address), expected, `real balance of ${asset}`);
    }

    const watcher = new DepositWatcher(env.bridge, { fromBlock: env.deployBlock, pollIntervalMs: 20 });
    const finalizedBefore = (await env.deployer.public.getBlock({ blockTag: 'finalized' })).number;
    const latest = await env.deployer.public.getBlockNumber();
    t.ok(finalizedBefore < latest, 'finalized lags the head');
    await mineBlocks(env.deployer, 3);
    const view = await watcher.poll();
    t.same(
      view.deposits.map((d) => [d.nonce, d.amount, d.hash]),
      deposits.map((d, i) => [d.nonce, d.amount, depositChainHash(deposits.slice(0, i + 1))]),
      'all four, in nonce order, hash-chained',
    );
    t.equal(view.lastNonce, 4n);
    t.ok(view.blockNumber >= latest, 'read up to a finalized block at or past the deposits');
    t.same((await watcher.poll()).deposits, [], 'nothing new on a second poll');

    // A later deposit arrives through the async generator once its block is finalized.
    const d5 = await client.depositEth(recipientOf(5), parseEther('0.5'));
    deposits.push({
      nonce: 5n,
      token: ETH,
      sender: me,
      recipient: recipientOf(5),
      amount: parseEther('0.5'),
    });
    const abort = new AbortController();
    const miner = setInterval(() => void mineBlocks(env.deployer, 1).catch(() => {}), 30);
    try {
      for await (const d of watcher.deposits(abort.signal)) {
        t.equal(d.nonce, 5n);
        t.equal(d.hash, d5.depositHash);
        abort.abort();
      }
    } finally {
      clearInterval(miner);
    }
    chain.deposits = { nonce: 5n, hash: d5.depositHash };
  },
);

t.test('a checkpoint signed by 3 of 4 equal stakes is accepted; relaying it again is a no-op', async (t) => {
  const cp = chain.next();
  const sigs = await signByMembers(env.dev, cp, env.bridge.domain, all(env.dev));
  const relayer = new Relayer(env.bridge);
  const r = await relayer.relaySignatures(env.dev.committee, cp, sigs);
  t.equal(r.outcome, 'submitted');
  chain.advance(cp);
  t.equal(await env.bridge.checkpointHashOf(cp.sequence), checkpointHash(cp));
  t.equal((await env.bridge.state()).latestSequence, 1n);

  const block = await env.deployer.public.getBlockNumber();
  const again = await relayer.relaySignatures(env.dev.committee, cp, sigs);
  t.equal(again.outcome, 'already-accepted');
  t.equal(await env.deployer.public.getBlockNumber(), block, 'no transaction was sent');

  // Sent anyway (another relayer's race): the contract succeeds and changes nothing.
  const before = await snapshot(env, [token, feeToken]);
  const sub = await signed(env, cp, [0, 1, 2, 3]);
  const direct = await env.bridge.submitCheckpoint(sub.checkpoint, sub.members, sub.signatures);
  t.equal(direct.outcome, 'already-accepted');
  t.equal(direct.receipt.logs.length, 0, 'no event');
  t.same(await snapshot(env, [token, feeToken]), before, 'nothing changed');
});

t.test('withdrawals: proven after the delay, once; status goes through its four states', async (t) => {
  const bobAddr = bob().account!.address;
  const ws = [
    { id: 0n, recipient: bobAddr, token: ETH, amount: parseEther('2') },
    { id: 1n, recipient: bobAddr, token, amount: parseEther('40') },
    { id: 2n, recipient: bobAddr, token: feeToken, amount: 5_000n },
  ];
  for (const w of ws) chain.tree.append(w);
  const client = aliceClient(); // alice relays bob's withdrawals and pays their gas
  t.equal((await client.status(0n, 0)).state, 'not yet checkpointed');

  const cp = chain.next();
  await submit(cp);
  const st = await client.status(0n, 0);
  t.equal(st.state, 'in its delay');
  t.equal(st.root, cp.withdrawalsRoot);
  t.equal(st.size, 3n);
  t.ok(st.readyAt! > (await env.deployer.public.getBlock()).timestamp);

  const early = await execute(env.bridge, bob(), {
    functionName: 'withdraw',
    args: [cp.withdrawalsRoot, ws[0], 0n, chain.tree.proof(0n).proof],
  });
  t.equal(early.ok ? 'paid' : early.reason, 'WithdrawalDelayNotElapsed');

  await increaseTime(env.deployer, DELAY + 1n);
  const provable = await client.status(0n, 0);
  t.equal(provable.state, 'provable');

  const ethBefore = await balanceOf(env.deployer, ETH, bobAddr);
  const paid = await client.withdraw(provable.root!, chain.tree.proof(0n, Number(provable.size)));
  t.equal(
    (await balanceOf(env.deployer, ETH, bobAddr)) - ethBefore,
    parseEther('2'),
    'the recipient got the ETH (the relayer paid the gas)',
  );
  t.ok(paid.gasUsed > 0n);
  t.equal((await client.status(0n, 0)).state, 'paid');

  await client.withdraw(cp.withdrawalsRoot, chain.tree.proof(1n));
  t.equal(await balanceOf(env.deployer, token, bobAddr), parseEther('40'));
  const feeBalanceBefore = await balanceOf(env.deployer, feeToken, env.bridge.address);
  await client.withdraw(cp.withdrawalsRoot, chain.tree.proof(2n));
  t.equal(await balanceOf(env.deployer, feeToken, bobAddr), 4_950n, 'the fee token burns 1% on the way out');
  t.equal(feeBalanceBefore - (await balanceOf(env.deployer, feeToken, env.bridge.address)), 5_000n);

  for (const asset of [ETH, token, feeToken]) {
    const deposited = deposits.filter((d) => d.token === asset).reduce((s, d) => s + d.amount, 0n);
    const withdrawn = ws.filter((w) => w.token === asset).reduce((s, w) => s + w.amount, 0n);
    t.equal(
      await env.bridge.lockedBalance(asset),
      deposited - withdrawn,
      `accounting of ${asset} = deposits - withdrawals`,
    );
    t.ok(
      (await balanceOf(env.deployer, asset, env.bridge.address)) >= deposited - withdrawn,
      'backed by the real balance',
    );
  }
  const again = await execute(env.bridge, bob(), {
    functionName: 'withdraw',
    args: [cp.withdrawalsRoot, ws[1], 1n, chain.tree.proof(1n).proof],
  });
  t.equal(again.ok ? 'paid' : again.reason, 'AlreadyPaid');
});

t.test('skewed stakes: one member with 70% signs alone; the other three (30%) cannot', async (t) => {
  const skew = await startBridgeEnv({ anvil: env.anvil, stakes: [700n, 100n, 100n, 100n], seed: 'skewed' });
  const whale = skew.dev.committee.members.findIndex((m) => m.stake === 700n);
  const others = all(skew.dev).filter((i) => i !== whale);
  const c = new CheckpointChain();
  const cp = c.next();
  const small = await signByMembers(skew.dev, cp, skew.bridge.domain, others);
  const packed = packSignatures(
    others.map((index, k) => ({ index, ...compactSignature(small[k]!.signature) })),
  );
  const r = await execute(skew.bridge, skew.deployer, {
    functionName: 'submitCheckpoint',
    args: [cp, skew.dev.committee.words, packed],
  });
  t.equal(r.ok ? 'accepted' : r.reason, 'InsufficientStake');
  t.same(r.ok ? [] : r.args, [300n, 1000n]);

  const sub = await signed(skew, cp, [whale], skew.dev);
  t.equal(
    (await skew.bridge.submitCheckpoint(sub.checkpoint, sub.members, sub.signatures)).outcome,
    'accepted',
  );
  t.equal(await skew.bridge.checkpointHashOf(1n), checkpointHash(cp));

  // Random subsets of a committee with uneven stakes: accepted exactly when 3 * signed > 2 * total.
  const uneven = await startBridgeEnv({
    anvil: env.anvil,
    stakes: [1n, 2n, 3n, 5n, 8n, 13n, 21n, 34n],
    seed: 'uneven',
  });
  const u = new CheckpointChain();
  let seed = 7;
  const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let trial = 0; trial < 12; trial++) {
    const indices = all(uneven.dev).filter(() => rnd() < 0.6);
    if (indices.length === 0) continue;
    const cpu = u.next();
    const sigs = await signByMembers(uneven.dev, cpu, uneven.bridge.domain, indices);
    const sig = packSignatures(
      indices.map((index, k) => ({ index, ...compactSignature(sigs[k]!.signature) })),
    );
    const stake = indices.reduce((s, i) => s + uneven.dev.committee.members[i]!.stake, 0n);
    const out = await execute(uneven.bridge, uneven.deployer, {
      functionName: 'submitCheckpoint',
      args: [cpu, uneven.dev.committee.words, sig],
    });
    t.equal(out.ok, 3n * stake > 2n * 87n, `stake ${stake} of 87: ${out.ok ? 'accepted' : out.reason}`);
    if (out.ok) u.advance(cpu);
  }
});

t.test('a committee change carried by a checkpoint; the old signers no longer count', async (t) => {
  const next = devCommittee([5n, 5n, 5n, 5n, 5n], 'bridge-e2e-next');
  const change = chain.next({ nextCommitteeHash: next.committee.hash, epoch: chain.epoch });
  await submit(change);
  t.equal(await env.bridge.committeeHash(), next.committee.hash);
  chain.epoch += 1n;

  const cp = chain.next();
  const old = await signed(env, cp, [0, 1, 2, 3]);
  const r1 = await execute(env.bridge, env.deployer, {
    functionName: 'submitCheckpoint',
    args: [cp, old.members, old.signatures],
  });
  t.equal(r1.ok ? 'accepted' : r1.reason, 'CommitteeMismatch', 'the old committee is not the stored one');
  t.same(r1.ok ? [] : r1.args, [next.committee.hash, env.dev.committee.hash]);
  // Old keys claiming seats in the new committee.
  const r2 = await execute(env.bridge, env.deployer, {
    functionName: 'submitCheckpoint',
    args: [cp, next.committee.words, old.signatures],
  });
  t.equal(r2.ok ? 'accepted' : r2.reason, 'SignatureNotFromMember');

  const r3 = await submit(cp, [0, 2, 3, 4], next);
  t.equal(r3.outcome, 'accepted', 'the new committee signs from now on');
  env = { ...env, dev: next };
});

t.test(
  'pauses: the guardian pauses deposits and withdrawals but not checkpoints; a checkpoint or the timelock unpauses',
  async (t) => {
    const guardian = env.bridge; // connected as the deployer, the guardian
    await guardian.pause();
    t.equal((await env.bridge.state()).pauseFlags, PAUSED_BY_GUARDIAN);
    const dep = await execute(env.bridge, alice(), {
      functionName: 'depositEth',
      args: [recipientOf(9)],
      value: 1n,
    });
    t.equal(dep.ok ? 'ok' : dep.reason, 'BridgePaused');
    chain.tree.append({ id: 3n, recipient: bob().account!.address, token: ETH, amount: 1n });
    const cp = chain.next();
    t.equal((await submit(cp, [0, 1, 2, 3])).outcome, 'accepted', 'checkpoints flow while paused');
    await increaseTime(env.deployer, DELAY + 1n);
    const w = await execute(env.bridge, bob(), {
      functionName: 'withdraw',
      args: [cp.withdrawalsRoot, chain.tree.leaf(3), 3n, chain.tree.proof(3n).proof],
    });
    t.equal(w.ok ? 'paid' : w.reason, 'BridgePaused');
    t.equal(await env.bridge.isPaid(3n), false);

    const lift = chain.next({ unpause: true });
    await submit(lift, [0, 1, 2, 3]);
    t.equal((await env.bridge.state()).pauseFlags, 0, 'a committee-signed unpause lifts a guardian pause');
    await aliceClient().withdraw(cp.withdrawalsRoot, chain.tree.proof(3n));
    t.equal(await env.bridge.isPaid(3n), true);

    // A checkpoint with a deposit hash the contract never had pauses; only the timelock lifts that.
    const bad = chain.next({ depositHash: `0x${'de'.repeat(32)}` as Hex });
    const r = await submit(bad, [0, 1, 2, 3]);
    t.equal(r.outcome, 'accepted', 'the call succeeds');
    t.equal((await env.bridge.state()).pauseFlags, PAUSED_BY_DEPOSIT_MISMATCH);
    const unknownNonce = chain.next({ depositNonce: 999n, unpause: true });
    await submit(unknownNonce, [0, 1, 2, 3]);
    t.equal(
      (await env.bridge.state()).pauseFlags,
      PAUSED_BY_DEPOSIT_MISMATCH,
      'an unpause flag does not lift a mismatch',
    );
    const tooEarly = await execute(env.bridge, env.deployer, { functionName: 'unpause', args: [] });
    t.equal(tooEarly.ok ? 'ok' : tooEarly.reason, 'TimelockNotElapsed');
    await increaseTime(env.deployer, TIMELOCK);
    await guardian.unpause();
    t.equal((await env.bridge.state()).pauseFlags, 0, 'the guardian lifts it after the timelock');
    await aliceClient().depositEth(recipientOf(10), 1n);
  },
);

t.test('two different checkpoints with one sequence number, validly signed, freeze the bridge', async (t) => {
  const state = await env.bridge.state();
  const accepted = chain.next({ sequence: state.latestSequence });
  const conflicting = {
    ...accepted,
    beaconBlockHash: zeroHash,
    previousCheckpoint: `0x${'01'.repeat(32)}` as Hex,
  };
  t.not(checkpointHash(conflicting), await env.bridge.checkpointHashOf(state.latestSequence));
  const sub = await signed(env, conflicting, [0, 1, 2, 3]);
  const r = await env.bridge.submitCheckpoint(sub.checkpoint, sub.members, sub.signatures);
  t.equal(r.outcome, 'frozen', 'the call succeeds');
  t.equal((await env.bridge.state()).frozen, true);
  for (const call of [
    { functionName: 'depositEth', args: [recipientOf(1)], value: 1n },
    { functionName: 'submitCheckpoint', args: [chain.next(), sub.members, sub.signatures] },
    { functionName: 'pause', args: [] },
  ]) {
    const out = await execute(env.bridge, env.deployer, call);
    t.equal(out.ok ? 'ok' : out.reason, 'Frozen', `${call.functionName} stops`);
  }
  const w = await execute(env.bridge, bob(), {
    functionName: 'withdraw',
    args: [chain.tree.root(), chain.tree.leaf(3), 3n, chain.tree.proof(3n).proof],
  });
  t.equal(w.ok ? 'paid' : w.reason, 'Frozen');
});
