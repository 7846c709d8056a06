/**
 * Bad input against the bridge on a real anvil. Each case is simulated for its revert reason, then mined
 * anyway with a fixed gas limit: the transaction must revert with that specific reason and leave every
 * observable part of the contract (state, accounting, balances, checkpoints, deposits, paid flags, roots)
 * exactly as it was.
 */
import t, { type Test } from 'tap';
import { concat, encodeFunctionData, parseEther, zeroHash, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  CHECKPOINT_TYPES,
  EMPTY_WITHDRAWALS_ROOT,
  eip712Domain,
  type Checkpoint,
} from '../../bridge/checkpoint.js';
import { makeCommittee } from '../../bridge/committee.js';
import { devCommittee, signByMembers, type DevCommittee } from '../../bridge/devnet.js';
import { BridgeClient } from '../../bridge/client.js';
import { compactSignature, packSignatures, type SignatureEntry } from '../../bridge/signatures.js';
import { artifact } from '../../bridge/compile.js';
import {
  callToken,
  CheckpointChain,
  DELAY,
  deployTest,
  ETH,
  ETH_LIMIT,
  execute,
  increaseTime,
  latestTimestamp,
  PERIOD,
  recipientOf,
  signed,
  snapshot,
  startBridgeEnv,
  type BridgeEnv,
  type Call,
} from '../unit/bridge/fixtures.js';

// Stakes 100, 100, 100, 300 (total 600): two thirds is exactly 400.
let env: BridgeEnv;
let token: Address;
let evil: Address;
const chain = new CheckpointChain();
const ids: bigint[] = [];
const roots: Hex[] = [];

const user = () => env.users[0]!;
const whale = () => env.dev.committee.members.findIndex((m) => m.stake === 300n);
const small = () => env.dev.committee.members.flatMap((m, i) => (m.stake === 100n ? [i] : []));

async function expectRevert(
  t: Test,
  call: Call,
  reason: string,
  args?: readonly unknown[],
  as = user(),
): Promise<void> {
  const before = await snapshot(env, [token, evil], ids, roots);
  const out = await execute(env.bridge, as, call);
  t.equal(out.ok ? 'success' : out.reason, reason, `reverts with ${reason}`);
  if (!out.ok && args !== undefined) t.same(out.args, args, `${reason} arguments`);
  t.equal(out.receipt.status, 'reverted', 'the mined transaction reverted');
  t.same(await snapshot(env, [token, evil], ids, roots), before, 'nothing changed');
}

/** Signature entries of `indices` over `cp` (for any domain), packed without the TypeScript side's checks. */
async function entries(
  dev: DevCommittee,
  cp: Checkpoint,
  indices: readonly number[],
  domain = env.bridge.domain,
): Promise<SignatureEntry[]> {
  const sigs = await signByMembers(dev, cp, domain, indices);
  return indices.map((index, k) => ({ index, ...compactSignature(sigs[k]!.signature) }));
}

const submitCall = (cp: Checkpoint, members: readonly Hex[], signatures: Hex): Call => ({
  functionName: 'submitCheckpoint',
  args: [cp, members, signatures],
});

async function accept(cp: Checkpoint, indices = [whale(), small()[0]!, small()[1]!]): Promise<void> {
  const sub = await signed(env, cp, indices);
  const r = await env.bridge.submitCheckpoint(sub.checkpoint, sub.members, sub.signatures);
  if (r.outcome !== 'accepted') throw new Error(`checkpoint ${cp.sequence} was ${r.outcome}`);
  chain.advance(cp);
  if (cp.withdrawalsCount > 0n) roots.push(cp.withdrawalsRoot);
}

t.before(async () => {
  env = await startBridgeEnv({ stakes: [100n, 100n, 100n, 300n], seed: 'bridge-reject' });
  token = await deployTest(env.deployer, 'TestToken', ['Test', 'TST']);
  evil = await deployTest(env.deployer, 'ReentrantToken');
  const me = user().account!.address;
  await callToken(env.deployer, token, 'mint', [me, parseEther('1000')]);
  await callToken(env.deployer, evil, 'mint', [me, parseEther('1000')]);
  const client = new BridgeClient(env.bridge.connect(user()), env.deployBlock);
  await client.depositEth(recipientOf(1), parseEther('200'));
  await client.depositErc20(token, parseEther('500'), recipientOf(2));
  const last = await client.depositErc20(evil, parseEther('500'), recipientOf(3));
  chain.deposits = { nonce: last.nonce, hash: last.depositHash };
  const to = env.users[1]!.account!.address;
  for (const [id, asset, amount] of [
    [0n, ETH, parseEther('1')],
    [1n, ETH, parseEther('2')],
    [2n, token, parseEther('3')],
    [3n, evil, parseEther('4')],
    [4n, ETH, ETH_LIMIT],
    [5n, ETH, ETH_LIMIT + 1n],
  ] as const) {
    chain.tree.append({ id, recipient: to, token: asset, amount });
    ids.push(id);
  }
  await accept(chain.next());
});
t.teardown(async () => {
  await env?.stop();
});

t.test('signatures at or below two thirds of the stake', async (t) => {
  const cp = chain.next();
  const exactly = await entries(
    env.dev,
    cp,
    [small()[0]!, whale()].sort((a, b) => a - b),
  );
  await expectRevert(
    t,
    submitCall(cp, env.dev.committee.words, packSignatures(exactly)),
    'InsufficientStake',
    [400n, 600n],
  );
  const below = await entries(env.dev, cp, [whale()]);
  await expectRevert(t, submitCall(cp, env.dev.committee.words, packSignatures(below)), 'InsufficientStake', [
    300n,
    600n,
  ]);
  await expectRevert(t, submitCall(cp, env.dev.committee.words, '0x'), 'InsufficientStake', [0n, 600n]);
});

t.test('a repeated or unsorted signer', async (t) => {
  const cp = chain.next();
  const e = await entries(env.dev, cp, [0, 1, 2, 3]);
  await expectRevert(
    t,
    submitCall(cp, env.dev.committee.words, packSignatures([e[0]!, e[1]!, e[1]!, e[3]!])),
    'SignersNotAscending',
    [2n, 1n],
  );
  await expectRevert(
    t,
    submitCall(cp, env.dev.committee.words, packSignatures([e[1]!, e[0]!, e[2]!, e[3]!])),
    'SignersNotAscending',
    [1n, 0n],
  );
  await expectRevert(
    t,
    submitCall(cp, env.dev.committee.words, concat([packSignatures(e), '0x00'])),
    'MalformedSignatures',
    [265n],
  );
});

t.test("a signer outside the committee, or a signature that is not the member's", async (t) => {
  const cp = chain.next();
  const e = await entries(env.dev, cp, [0, 1, 2, 3]);
  const outsider = devCommittee([1n], 'outsider');
  const [o] = await entries(outsider, cp, [0]);
  await expectRevert(
    t,
    submitCall(cp, env.dev.committee.words, packSignatures([e[0]!, { ...o!, index: 1 }, e[2]!, e[3]!])),
    'SignatureNotFromMember',
    [1n],
  );
  await expectRevert(
    t,
    submitCall(
      cp,
      env.dev.committee.words,
      packSignatures([e[0]!, e[1]!, e[2]!, e[3]!, { ...o!, index: 4 }]),
    ),
    'SignerIndexOutOfRange',
    [4n, 4n],
  );
  // The malleable twin of a valid signature (s in the upper half) is refused too.
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const s = BigInt(e[0]!.yParityAndS) & ((1n << 255n) - 1n);
  const yParity = BigInt(e[0]!.yParityAndS) >> 255n;
  const twin = `0x${(((1n - yParity) << 255n) | (n - s)).toString(16).padStart(64, '0')}` as Hex;
  await expectRevert(
    t,
    submitCall(
      cp,
      env.dev.committee.words,
      packSignatures([{ ...e[0]!, yParityAndS: twin }, e[1]!, e[2]!, e[3]!]),
    ),
    'SignatureNotFromMember',
    [BigInt(e[0]!.index)],
  );
});

t.test('a committee in calldata that does not match the stored hash', async (t) => {
  const cp = chain.next();
  const e = await entries(env.dev, cp, [0, 1, 2, 3]);
  // The same members claiming a larger stake for the first.
  const inflated = makeCommittee(
    env.dev.committee.members.map((m, i) => ({
      address: m.address,
      stake: i === 0 ? m.stake * 10n : m.stake,
    })),
  );
  await expectRevert(t, submitCall(cp, inflated.words, packSignatures(e)), 'CommitteeMismatch', [
    env.dev.committee.hash,
    inflated.hash,
  ]);
  await expectRevert(
    t,
    submitCall(cp, env.dev.committee.words.slice(0, 3), packSignatures(e.slice(0, 3))),
    'CommitteeMismatch',
  );
});

t.test(
  'a signature for another chain id or another contract (the EIP-712 domain), or another sidechain',
  async (t) => {
    const cp = chain.next();
    const idx = [0, 1, 2, 3];
    const otherChain = await entries(env.dev, cp, idx, { ...env.bridge.domain, l1ChainId: 1 });
    await expectRevert(
      t,
      submitCall(cp, env.dev.committee.words, packSignatures(otherChain)),
      'SignatureNotFromMember',
      [0n],
    );
    const otherContract = await entries(env.dev, cp, idx, {
      ...env.bridge.domain,
      contract: '0x000000000000000000000000000000000000dEaD',
    });
    await expectRevert(
      t,
      submitCall(cp, env.dev.committee.words, packSignatures(otherContract)),
      'SignatureNotFromMember',
      [0n],
    );
    // A signature with the domain's name changed does not verify either.
    const k = env.dev.keys[0]!;
    const wrongName = await privateKeyToAccount(k).signTypedData({
      domain: { ...eip712Domain(env.bridge.domain), name: 'another bridge' },
      types: CHECKPOINT_TYPES,
      primaryType: 'Checkpoint',
      message: cp,
    });
    const good = await entries(env.dev, cp, [1, 2, 3]);
    await expectRevert(
      t,
      submitCall(
        cp,
        env.dev.committee.words,
        packSignatures([{ index: 0, ...compactSignature(wrongName) }, ...good]),
      ),
      'SignatureNotFromMember',
      [0n],
    );
    const otherSidechain = { ...cp, chainId: cp.chainId + 1n };
    const sub = await signed(env, otherSidechain, idx);
    await expectRevert(t, submitCall(otherSidechain, sub.members, sub.signatures), 'WrongChainId', [
      cp.chainId,
      cp.chainId + 1n,
    ]);
  },
);

t.test(
  'sequence numbers: skipping is fine, a lower one never accepted is not; the same one again is a no-op',
  async (t) => {
    const skipped = chain.next(); // sequence 2, never submitted
    chain.advance(skipped);
    const third = chain.next();
    await accept(third);
    const sub = await signed(env, skipped, [0, 1, 2, 3]);
    await expectRevert(t, submitCall(skipped, sub.members, sub.signatures), 'SequenceNotIncreasing', [
      2n,
      3n,
    ]);
    const zero = { ...chain.next(), sequence: 0n };
    const subZero = await signed(env, zero, [0, 1, 2, 3]);
    await expectRevert(t, submitCall(zero, subZero.members, subZero.signatures), 'SequenceNotIncreasing', [
      0n,
      3n,
    ]);
    // The accepted one again: success, no change.
    const before = await snapshot(env, [token, evil], ids, roots);
    const again = await signed(env, third, [0, 1, 2, 3]);
    const out = await execute(env.bridge, user(), submitCall(third, again.members, again.signatures));
    t.equal(out.ok, true);
    t.same(
      await snapshot(env, [token, evil], ids, roots),
      before,
      'an accepted checkpoint resubmitted changes nothing',
    );
  },
);

t.test('skipping a committee change', async (t) => {
  const next = devCommittee([1n, 1n, 1n, 1n], 'bridge-reject-next');
  const change = chain.next({ nextCommitteeHash: next.committee.hash });
  chain.advance(change); // the relayer skips it...
  const after = chain.next({ epoch: chain.epoch + 1n });
  const sigs = await entries(next, after, [0, 1, 2]);
  await expectRevert(t, submitCall(after, next.committee.words, packSignatures(sigs)), 'CommitteeMismatch', [
    env.dev.committee.hash,
    next.committee.hash,
  ]);
  // ...and must submit it first; then the next committee's checkpoint goes through.
  const sub = await signed(env, change, [0, 1, 2, 3]);
  t.equal(
    (await env.bridge.submitCheckpoint(sub.checkpoint, sub.members, sub.signatures)).outcome,
    'accepted',
  );
  t.equal(
    (await env.bridge.submitCheckpoint(after, next.committee.words, packSignatures(sigs))).outcome,
    'accepted',
  );
  chain.advance(after);
  env = { ...env, dev: next };
});

t.test('zero and empty roots are never trusted', async (t) => {
  const cp = chain.next({ withdrawalsRoot: zeroHash });
  const sub = await signed(env, cp, [0, 1, 2]);
  await expectRevert(t, submitCall(cp, sub.members, sub.signatures), 'ZeroRoot');
  const empty = chain.next({ withdrawalsRoot: EMPTY_WITHDRAWALS_ROOT });
  const subEmpty = await signed(env, empty, [0, 1, 2]);
  await expectRevert(t, submitCall(empty, subEmpty.members, subEmpty.signatures), 'EmptyTreeRoot');
  const notEmpty = chain.next({ withdrawalsCount: 0n });
  const subNotEmpty = await signed(env, notEmpty, [0, 1, 2]);
  await expectRevert(
    t,
    submitCall(notEmpty, subNotEmpty.members, subNotEmpty.signatures),
    'BadEmptyTreeRoot',
    [notEmpty.withdrawalsRoot],
  );
  const p = chain.tree.proof(0n);
  await expectRevert(
    t,
    { functionName: 'withdraw', args: [zeroHash, p.withdrawal, 0n, p.proof] },
    'ZeroRoot',
  );
  await expectRevert(
    t,
    { functionName: 'withdraw', args: [EMPTY_WITHDRAWALS_ROOT, p.withdrawal, 0n, p.proof] },
    'EmptyTreeRoot',
  );
  const unknown = `0x${'77'.repeat(32)}` as Hex;
  await expectRevert(
    t,
    { functionName: 'withdraw', args: [unknown, p.withdrawal, 0n, p.proof] },
    'UnknownRoot',
    [unknown],
  );
});

t.test(
  'withdrawals: before the delay, a proof for another leaf or one level short, twice, over the limit',
  async (t) => {
    const root = roots[0]!;
    const w = (id: bigint) => chain.tree.proof(id, 6);
    await expectRevert(
      t,
      { functionName: 'withdraw', args: [root, w(0n).withdrawal, 0n, w(0n).proof] },
      'WithdrawalDelayNotElapsed',
    );
    await increaseTime(env.deployer, DELAY);
    await expectRevert(
      t,
      { functionName: 'withdraw', args: [root, w(0n).withdrawal, 0n, w(1n).proof] },
      'InvalidProof',
    );
    await expectRevert(
      t,
      { functionName: 'withdraw', args: [root, w(0n).withdrawal, 1n, w(1n).proof] },
      'InvalidProof',
    );
    await expectRevert(
      t,
      { functionName: 'withdraw', args: [root, w(0n).withdrawal, 0n, w(0n).proof.slice(0, -1)] },
      'InvalidProof',
    );
    await expectRevert(
      t,
      { functionName: 'withdraw', args: [root, w(0n).withdrawal, 0n, [...w(0n).proof, zeroHash]] },
      'InvalidProof',
    );
    await expectRevert(
      t,
      {
        functionName: 'withdraw',
        args: [root, { ...w(0n).withdrawal, amount: parseEther('1.5') }, 0n, w(0n).proof],
      },
      'InvalidProof',
    );
    await expectRevert(
      t,
      { functionName: 'withdraw', args: [root, w(0n).withdrawal, 6n, w(0n).proof] },
      'InvalidProof',
    );

    // Start at the beginning of a limit period, so that the next few transactions share one.
    const now = await latestTimestamp(env.deployer);
    await increaseTime(env.deployer, PERIOD - (now % PERIOD) + 1n);
    const relayer = new BridgeClient(env.bridge.connect(user()), env.deployBlock);
    await relayer.withdraw(root, w(0n));
    ids.push(0n);
    await expectRevert(
      t,
      { functionName: 'withdraw', args: [root, w(0n).withdrawal, 0n, w(0n).proof] },
      'AlreadyPaid',
      [0n],
    );

    // 1 ETH is paid this period; 100 more would pass the 100 ETH limit: it waits for the next period.
    await expectRevert(
      t,
      { functionName: 'withdraw', args: [root, w(4n).withdrawal, 4n, w(4n).proof] },
      'WithdrawalLimitReached',
    );
    await expectRevert(
      t,
      { functionName: 'withdraw', args: [root, w(5n).withdrawal, 5n, w(5n).proof] },
      'AmountAboveLimit',
      [ETH_LIMIT + 1n, ETH_LIMIT],
    );
    await increaseTime(env.deployer, PERIOD);
    await relayer.withdraw(root, w(4n));
    t.equal(await env.bridge.isPaid(4n), true, 'paid in a later period');
  },
);

t.test(
  'deposits and withdrawals while paused; the guardian alone before the timelock; not the guardian',
  async (t) => {
    await expectRevert(t, { functionName: 'pause', args: [] }, 'NotGuardian');
    await env.bridge.pause(); // the deployer is the guardian
    const p = chain.tree.proof(1n, 6);
    await expectRevert(
      t,
      { functionName: 'depositEth', args: [recipientOf(1)], value: 1n },
      'BridgePaused',
      [1],
    );
    await expectRevert(
      t,
      { functionName: 'depositErc20', args: [token, 1n, recipientOf(1)] },
      'BridgePaused',
      [1],
    );
    await expectRevert(
      t,
      { functionName: 'withdraw', args: [roots[0]!, p.withdrawal, 1n, p.proof] },
      'BridgePaused',
      [1],
    );
    await expectRevert(
      t,
      { functionName: 'unpause', args: [] },
      'TimelockNotElapsed',
      undefined,
      env.deployer,
    );
    await expectRevert(t, { functionName: 'pause', args: [] }, 'AlreadyPaused', undefined, env.deployer);
    const cp = chain.next({ unpause: true });
    const sub = await signed(env, cp, [0, 1, 2]);
    t.equal(
      (await env.bridge.submitCheckpoint(sub.checkpoint, sub.members, sub.signatures)).outcome,
      'accepted',
      'checkpoints still flow',
    );
    chain.advance(cp);
    t.equal((await env.bridge.state()).pauseFlags, 0);
  },
);

t.test('reentrancy through a malicious token', async (t) => {
  const a = await artifact('ReentrantToken');
  const bridgeAbi = env.bridge.abi;
  // On deposit: the token's transferFrom calls depositErc20 again.
  const inner = encodeFunctionData({
    abi: bridgeAbi,
    functionName: 'depositErc20',
    args: [evil, 1n, recipientOf(7)],
  } as never);
  await execute(env.bridge, env.deployer, {
    address: evil,
    abi: a.abi,
    functionName: 'arm',
    args: [env.bridge.address, inner],
  });
  await callToken(user(), evil, 'approve', [env.bridge.address, parseEther('1')]);
  await expectRevert(
    t,
    { functionName: 'depositErc20', args: [evil, parseEther('1'), recipientOf(7)] },
    'ReentrancyGuardReentrantCall',
  );
  // On withdrawal: the token's transfer calls withdraw again (the same leaf, then another one).
  const root = roots[0]!;
  const p3 = chain.tree.proof(3n, 6);
  const p1 = chain.tree.proof(1n, 6);
  const again = encodeFunctionData({
    abi: bridgeAbi,
    functionName: 'withdraw',
    args: [root, p1.withdrawal, 1n, p1.proof],
  } as never);
  await execute(env.bridge, env.deployer, {
    address: evil,
    abi: a.abi,
    functionName: 'arm',
    args: [env.bridge.address, again],
  });
  await expectRevert(
    t,
    { functionName: 'withdraw', args: [root, p3.withdrawal, 3n, p3.proof] },
    'ReentrancyGuardReentrantCall',
  );
  await execute(env.bridge, env.deployer, {
    address: evil,
    abi: a.abi,
    functionName: 'arm',
    args: [env.bridge.address, '0x'],
  });
  const client = new BridgeClient(env.bridge.connect(user()), env.deployBlock);
  await client.withdraw(root, p3);
  t.equal(await env.bridge.isPaid(3n), true, 'disarmed, the same withdrawal pays');
});
