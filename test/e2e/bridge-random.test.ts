/**
 * Randomized sequences against a real anvil: deposits (ETH, an ERC-20, a fee-on-transfer token),
 * withdrawals created on the "sidechain", checkpoints (skipped ones, repeated ones, below-quorum ones,
 * committee changes, unpause flags, now and then a deposit mismatch), withdrawal attempts (early, with the
 * wrong root, twice, over the limit, while paused), guardian pauses and unpauses, and time passing.
 *
 * A model predicts every outcome (success or the exact revert reason); the chain's clock is set for every
 * transaction so that the model knows each block's timestamp. After every step the invariants are checked:
 * - the contract's accounting of each asset equals deposits minus withdrawals, and its real balance is at
 *   least that;
 * - no withdrawal is paid twice; nothing is paid without a checkpointed proof and an elapsed delay;
 * - nothing is paid while paused; checkpoints are accepted while paused.
 *
 * HOTSHARD_BRIDGE_RANDOM_STEPS (default 120 per seed) and HOTSHARD_BRIDGE_RANDOM_SEEDS (default "1,2") make
 * longer runs.
 */
import t from 'tap';
import { parseEther, zeroHash, type Address, type Hex } from 'viem';
import { startAnvil, type Anvil } from '../../bridge/anvil.js';
import { checkpointHash, EMPTY_WITHDRAWALS_ROOT, type Checkpoint } from '../../bridge/checkpoint.js';
import { PAUSED_BY_DEPOSIT_MISMATCH, PAUSED_BY_GUARDIAN } from '../../bridge/contract.js';
import { nextDepositHash, GENESIS_DEPOSIT_HASH } from '../../bridge/deposits.js';
import { devCommittee, signByMembers, type DevCommittee } from '../../bridge/devnet.js';
import { compactSignature, packSignatures } from '../../bridge/signatures.js';
import { WithdrawalTree, type WithdrawalLeaf } from '../../bridge/withdrawals.js';
import { readEvents } from '../../bridge/events.js';
import { connectL1 } from '../../bridge/l1.js';
import {
  balanceOf,
  callToken,
  deployTest,
  ETH,
  execute,
  latestTimestamp,
  recipientOf,
  SIDECHAIN_CHAIN_ID,
  startBridgeEnv,
  type BridgeEnv,
  type Call,
  type Outcome,
} from '../unit/bridge/fixtures.js';
import { hasQuorum } from '../../bridge/committee.js';

const STEPS = Number(process.env.HOTSHARD_BRIDGE_RANDOM_STEPS ?? 120);
const SEEDS = (process.env.HOTSHARD_BRIDGE_RANDOM_SEEDS ?? '1,2').split(',').map(Number);
const DELAY = 60n;
const TIMELOCK = 600n;
const PERIOD = 3_600n;
const FEE_BPS = 200n;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

let anvil: Anvil;
t.before(async () => {
  anvil = await startAnvil({ accounts: 8 });
});
t.teardown(async () => {
  await anvil?.stop();
});

for (const seed of SEEDS) {
  t.test(`seed ${seed}: ${STEPS} random steps, invariants after each`, async (t) => {
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const between = (lo: bigint, hi: bigint): bigint => lo + BigInt(Math.floor(rnd() * Number(hi - lo + 1n)));

    const pool: DevCommittee[] = [
      devCommittee([10n, 10n, 10n, 10n], `random-${seed}-a`),
      devCommittee([50n, 20n, 10n, 10n, 10n], `random-${seed}-b`),
      devCommittee([3n, 3n, 3n, 3n, 3n, 3n, 3n], `random-${seed}-c`),
    ];
    let committee = pool[0]!;
    const owner = await connectL1(anvil.rpcUrl, { privateKey: anvil.privateKeys[0]!, pollingIntervalMs: 10 });
    const tt = await deployTest(owner, 'TestToken', ['Test', 'TST']);
    const fee = await deployTest(owner, 'FeeOnTransferToken', [FEE_BPS]);
    // Per-asset limits that the random amounts reach now and then; no other asset accepted.
    const limits: Record<Address, bigint> = {
      [ETH]: parseEther('40'),
      [tt]: parseEther('300'),
      [fee]: 40_000n,
    };
    const env: BridgeEnv = await startBridgeEnv({
      anvil,
      stakes: [10n, 10n, 10n, 10n],
      seed: `random-${seed}-a`,
      params: {
        limits: Object.entries(limits).map(([token, limit]) => ({ token: token as Address, limit })),
        defaultLimit: 0n,
      },
    });
    const assets: Address[] = [ETH, tt, fee];
    const users = env.users.slice(0, 3);
    const relayer = env.users[3]!;
    for (const u of users) {
      await callToken(env.deployer, tt, 'mint', [u.account!.address, parseEther('100000')]);
      await callToken(env.deployer, fee, 'mint', [u.account!.address, 10n ** 12n]);
      for (const token of [tt, fee]) await callToken(u, token, 'approve', [env.bridge.address, 2n ** 255n]);
    }

    // ---------------------------------------------------------------- the model
    let now = (await latestTimestamp(env.deployer)) + 10n;
    const m = {
      depositCount: 0n,
      depositHashes: [GENESIS_DEPOSIT_HASH] as Hex[],
      locked: new Map<Address, bigint>(assets.map((a) => [a, 0n])),
      credited: new Map<Address, bigint>(assets.map((a) => [a, 0n])), // deposits the sidechain can credit
      created: new Map<Address, bigint>(assets.map((a) => [a, 0n])), // withdrawals the sidechain made
      tree: new WithdrawalTree(),
      paid: new Set<bigint>(),
      latestSequence: 0n,
      epoch: 1n,
      previous: zeroHash as Hex,
      applied: { nonce: 0n, hash: GENESIS_DEPOSIT_HASH as Hex },
      accepted: new Map<bigint, { cp: Checkpoint; committee: DevCommittee }>(),
      roots: new Map<Hex, { acceptedAt: bigint; count: number }>(),
      flags: 0,
      pausedAt: 0n,
      usage: new Map<Address, { period: bigint; used: bigint }>(),
    };
    const recipients = [0, 1, 2, 3, 4].map(
      (i) => `0x${(0xc0de00 + seed * 16 + i).toString(16).padStart(40, '0')}` as Address,
    );
    const paidTo = new Map<Address, bigint>(); // ETH paid to each recipient
    const counts: Record<string, number> = {};
    const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);

    async function run(call: Call, as = relayer): Promise<Outcome> {
      now += 1n;
      return execute(env.bridge, as, call, now);
    }
    function expect(out: Outcome, expected: string, what: string): void {
      const got = out.ok ? 'ok' : out.reason;
      if (got !== expected)
        t.fail(
          `${what}: expected ${expected}, got ${got} ${out.ok ? '' : JSON.stringify(out.args, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
        );
    }

    // ---------------------------------------------------------------- steps
    async function deposit(): Promise<void> {
      const asset = pick(assets);
      const user = pick(users);
      const amount =
        asset === ETH
          ? between(1n, 20n) * 10n ** 17n
          : asset === tt
            ? between(1n, 200n) * 10n ** 18n
            : between(1_000n, 30_000n);
      const call: Call =
        asset === ETH
          ? { functionName: 'depositEth', args: [recipientOf(1)], value: amount }
          : { functionName: 'depositErc20', args: [asset, amount, recipientOf(2)] };
      const out = await run(call, user);
      if (m.flags !== 0) {
        expect(out, 'BridgePaused', 'deposit while paused');
        count('deposit refused while paused');
        return;
      }
      expect(out, 'ok', 'deposit');
      if (!out.ok) return;
      const received = asset === fee ? amount - (amount * FEE_BPS) / 10_000n : amount;
      m.depositCount += 1n;
      const h = nextDepositHash(m.depositHashes.at(-1)!, {
        nonce: m.depositCount,
        token: asset,
        sender: user.account!.address,
        recipient: asset === ETH ? recipientOf(1) : recipientOf(2),
        amount: received,
      });
      m.depositHashes.push(h);
      m.locked.set(asset, m.locked.get(asset)! + received);
      m.credited.set(asset, m.credited.get(asset)! + received);
      count('deposit');
    }

    function createWithdrawal(): void {
      const asset = pick(assets);
      // The sidechain never sends out more than was deposited, nor more than one period's limit at once.
      const available = m.credited.get(asset)! - m.created.get(asset)!;
      const cap = available < limits[asset]! ? available : limits[asset]!;
      if (cap <= 0n) return;
      const amount = between(1n, cap);
      const id = BigInt(m.tree.size);
      m.tree.append({ id, recipient: pick(recipients), token: asset, amount });
      m.created.set(asset, m.created.get(asset)! + amount);
      count('withdrawal created');
    }

    async function signedSubmission(cp: Checkpoint, c: DevCommittee, quorum: boolean): Promise<Call> {
      // A random order of members; with `quorum`, members join until the quorum (and maybe a few more);
      // without, every member who does not complete a quorum joins (the most stake short of one).
      const order = c.committee.members
        .map((_, i) => ({ i, k: rnd() }))
        .sort((x, y) => x.k - y.k)
        .map((x) => x.i);
      const indices: number[] = [];
      let stake = 0n;
      for (const i of order) {
        const more = stake + c.committee.members[i]!.stake;
        if (quorum ? hasQuorum(c.committee, stake) && rnd() < 0.5 : hasQuorum(c.committee, more)) {
          if (quorum) break;
          continue;
        }
        indices.push(i);
        stake = more;
      }
      indices.sort((a, b) => a - b);
      const sigs = await signByMembers(c, cp, env.bridge.domain, indices);
      const packed = packSignatures(
        indices.map((index, k) => ({ index, ...compactSignature(sigs[k]!.signature) })),
      );
      return { functionName: 'submitCheckpoint', args: [cp, c.committee.words, packed] };
    }

    function nextCheckpoint(sequence: bigint, extra: Partial<Checkpoint> = {}): Checkpoint {
      const size = m.tree.size;
      const nonce = between(m.applied.nonce, m.depositCount); // the sidechain may lag behind Ethereum
      return {
        chainId: SIDECHAIN_CHAIN_ID,
        sequence,
        epoch: m.epoch,
        beaconHeightFrom: sequence * 32n,
        beaconHeightTo: sequence * 32n + 31n,
        previousCheckpoint: m.previous,
        beaconBlockHash: `0x${sequence.toString(16).padStart(64, 'c')}`,
        withdrawalsRoot: size === 0 ? EMPTY_WITHDRAWALS_ROOT : m.tree.root(),
        withdrawalsCount: BigInt(size),
        depositNonce: nonce,
        depositHash: m.depositHashes[Number(nonce)]!,
        nextCommitteeHash: zeroHash,
        unpause: false,
        ...extra,
      };
    }

    async function checkpoint(): Promise<void> {
      const r = rnd();
      if (r < 0.08 && m.accepted.size > 0) {
        // An accepted checkpoint again: a no-op.
        // Whoever signed it, even a committee since replaced: an accepted checkpoint is recognised by its hash.
        const [seq, a] = pick([...m.accepted]);
        const before = await env.bridge.state();
        const out = await run(await signedSubmission(a.cp, a.committee, true));
        expect(out, 'ok', `resubmitting ${seq}`);
        t.same(await env.bridge.state(), before);
        count('resubmitted');
        return;
      }
      // Sometimes the relayer skips a few (never a committee change).
      const skip = rnd() < 0.25 ? between(1n, 3n) : 0n;
      for (let i = 1n; i <= skip; i++) m.previous = checkpointHash(nextCheckpoint(m.latestSequence + i));
      const sequence = m.latestSequence + skip + 1n;
      const change = rnd() < 0.2 ? pick(pool.filter((c) => c !== committee)) : undefined;
      const mismatch = rnd() < 0.03;
      const unpause = m.flags !== 0 && rnd() < 0.5;
      const cp = nextCheckpoint(sequence, {
        ...(change ? { nextCommitteeHash: change.committee.hash } : {}),
        ...(mismatch ? { depositHash: `0x${'ee'.repeat(32)}` as Hex } : {}),
        unpause,
      });
      const quorum = rnd() < 0.9;
      const out = await run(await signedSubmission(cp, committee, quorum));
      if (!quorum) {
        expect(out, 'InsufficientStake', 'below quorum');
        count('below quorum refused');
        return;
      }
      expect(out, 'ok', `checkpoint ${sequence}`);
      if (!out.ok) return;
      if (m.flags !== 0) count('checkpoint accepted while paused');
      if (skip > 0n) {
        // A skipped sequence number can never come later.
        const late = nextCheckpoint(sequence - 1n);
        const refused = await run(await signedSubmission(late, committee, true));
        expect(refused, 'SequenceNotIncreasing', 'a skipped sequence');
      }
      m.accepted.set(sequence, { cp, committee });
      m.latestSequence = sequence;
      m.previous = checkpointHash(cp);
      if (cp.withdrawalsCount > 0n && !m.roots.has(cp.withdrawalsRoot))
        m.roots.set(cp.withdrawalsRoot, { acceptedAt: now, count: m.tree.size });
      if (mismatch) {
        if ((m.flags & PAUSED_BY_DEPOSIT_MISMATCH) === 0) m.pausedAt = now;
        m.flags |= PAUSED_BY_DEPOSIT_MISMATCH;
        count('deposit mismatch');
      } else {
        m.applied = { nonce: cp.depositNonce, hash: cp.depositHash };
        if (unpause && m.flags === PAUSED_BY_GUARDIAN) {
          m.flags = 0;
          count('unpaused by checkpoint');
        }
      }
      if (change) {
        const old = committee;
        committee = change;
        m.epoch += 1n;
        count('committee change');
        // The old committee no longer counts.
        const stale = await run(await signedSubmission(nextCheckpoint(sequence + 1n), old, true));
        expect(stale, 'CommitteeMismatch', 'old committee after a change');
      }
    }

    async function withdraw(): Promise<void> {
      if (m.tree.size === 0) return;
      // Mostly one not yet paid; sometimes any (a second payment must fail).
      const unpaid = Array.from({ length: m.tree.size }, (_, i) => i).filter((i) => !m.paid.has(BigInt(i)));
      const index = unpaid.length > 0 && rnd() < 0.75 ? pick(unpaid) : Math.floor(rnd() * m.tree.size);
      const w: WithdrawalLeaf = m.tree.leaf(index);
      const covering = [...m.roots].filter(([, r]) => r.count > index);
      const wrongRoot = covering.length === 0 || rnd() < 0.1;
      const [root, rec] = wrongRoot
        ? pick([...m.roots, [`0x${'99'.repeat(32)}` as Hex, { acceptedAt: 0n, count: m.tree.size }] as const])
        : pick(covering);
      const size = Math.min(rec.count, m.tree.size);
      const proof = index < size ? m.tree.proof(w.id, size) : m.tree.proof(w.id);
      const out = await run({ functionName: 'withdraw', args: [root, w, BigInt(index), proof.proof] });
      // The contract's order of checks.
      const known = m.roots.get(root);
      const period = now / PERIOD;
      const u = m.usage.get(w.token);
      const used = u !== undefined && u.period === period ? u.used : 0n;
      let expected: string;
      if (m.flags !== 0) expected = 'BridgePaused';
      else if (known === undefined) expected = 'UnknownRoot';
      else if (now < known.acceptedAt + DELAY) expected = 'WithdrawalDelayNotElapsed';
      else if (known.count <= index) expected = 'InvalidProof';
      else if (m.paid.has(w.id)) expected = 'AlreadyPaid';
      else if (w.amount > limits[w.token]!) expected = 'AmountAboveLimit';
      else if (used + w.amount > limits[w.token]!) expected = 'WithdrawalLimitReached';
      else expected = 'ok';
      expect(out, expected, `withdraw ${w.id}`);
      count(`withdraw: ${expected}`);
      if (out.ok) {
        m.paid.add(w.id);
        m.locked.set(w.token, m.locked.get(w.token)! - w.amount);
        m.usage.set(w.token, { period, used: used + w.amount });
        if (w.token === ETH) paidTo.set(w.recipient, (paidTo.get(w.recipient) ?? 0n) + w.amount);
      }
    }

    async function guardian(): Promise<void> {
      // Pause sometimes; when paused, mostly try to lift it.
      if (rnd() < (m.flags === 0 ? 0.8 : 0.2)) {
        const out = await run({ functionName: 'pause', args: [] }, env.deployer);
        const expected = (m.flags & PAUSED_BY_GUARDIAN) !== 0 ? 'AlreadyPaused' : 'ok';
        expect(out, expected, 'pause');
        if (out.ok) {
          if (m.flags === 0) m.pausedAt = now;
          m.flags |= PAUSED_BY_GUARDIAN;
          count('paused');
        }
      } else {
        const out = await run({ functionName: 'unpause', args: [] }, env.deployer);
        const expected =
          m.flags === 0 ? 'NotPaused' : now < m.pausedAt + TIMELOCK ? 'TimelockNotElapsed' : 'ok';
        expect(out, expected, 'unpause');
        if (out.ok) {
          m.flags = 0;
          count('unpaused by guardian');
        }
      }
    }

    function passTime(): void {
      now += pick([1n, 5n, 20n, DELAY / 2n, DELAY, PERIOD / 3n, TIMELOCK / 2n]);
    }

    async function checkInvariants(step: number): Promise<void> {
      const state = await env.bridge.state();
      if (
        state.latestSequence !== m.latestSequence ||
        state.depositCount !== m.depositCount ||
        state.pauseFlags !== m.flags ||
        state.frozen
      ) {
        t.fail(
          `step ${step}: state ${JSON.stringify(state, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
        );
      }
      for (const a of assets) {
        const locked = await env.bridge.lockedBalance(a);
        const real = await balanceOf(env.deployer, a, env.bridge.address);
        const deposited = m.locked.get(a)!;
        if (locked !== deposited)
          t.fail(`step ${step}: accounting of ${a} is ${locked}, deposits - withdrawals = ${deposited}`);
        if (real < locked) t.fail(`step ${step}: balance of ${a} ${real} below its accounting ${locked}`);
      }
      for (let id = 0n; id < BigInt(m.tree.size); id++) {
        if ((await env.bridge.isPaid(id)) !== m.paid.has(id)) t.fail(`step ${step}: paid flag of ${id}`);
      }
    }

    const steps: [number, () => Promise<void> | void][] = [
      [0.24, deposit],
      [0.15, createWithdrawal],
      [0.2, checkpoint],
      [0.23, withdraw],
      [0.11, passTime],
      [0.07, guardian],
    ];
    for (let step = 0; step < STEPS; step++) {
      let r = rnd();
      const op = steps.find(([w]) => (r -= w) < 0)?.[1] ?? passTime;
      if (process.env.HOTSHARD_BRIDGE_RANDOM_TRACE !== undefined)
        console.error(`seed ${seed} step ${step}: ${op.name} at ${now}`);
      await op();
      await checkInvariants(step);
    }

    // From the chain's own records: accounting = deposits - withdrawals, each id paid once, each payment
    // made through an accepted root after its delay.
    const to = await env.deployer.public.getBlockNumber();
    const deposited = await readEvents(env.bridge, 'Deposited', env.deployBlock, to);
    const withdrawn = await readEvents(env.bridge, 'Withdrawn', env.deployBlock, to);
    for (const a of assets) {
      const dIn = deposited
        .filter((l) => l.args.token === a)
        .reduce((s, l) => s + (l.args.amount as bigint), 0n);
      const dOut = withdrawn
        .filter((l) => l.args.token === a)
        .reduce((s, l) => s + (l.args.amount as bigint), 0n);
      t.equal(
        await env.bridge.lockedBalance(a),
        dIn - dOut,
        `accounting of ${a} equals deposit events minus withdrawal events`,
      );
      t.ok(
        (await balanceOf(env.deployer, a, env.bridge.address)) >= dIn - dOut,
        `real balance of ${a} covers it`,
      );
    }
    const ids = withdrawn.map((l) => l.args.id as bigint);
    t.equal(new Set(ids).size, ids.length, 'no withdrawal paid twice');
    for (const l of withdrawn) {
      const rec = await env.bridge.rootRecord(l.args.root as Hex);
      const block = await env.deployer.public.getBlock({ blockNumber: l.blockNumber });
      if (rec.sequence === 0n || block.timestamp < rec.acceptedAt + DELAY)
        t.fail(`withdrawal ${l.args.id} paid without an accepted root and its delay`);
    }
    for (const [r, amount] of paidTo)
      t.equal(await balanceOf(env.deployer, ETH, r), amount, `recipient ${r} got exactly what was paid`);
    const receipts = withdrawn.length;
    t.ok(receipts > 0, `${receipts} withdrawals paid`);
    t.ok((counts['checkpoint accepted while paused'] ?? 0) > 0, 'checkpoints were accepted while paused');
    t.ok(
      (counts['withdraw: BridgePaused'] ?? 0) + (counts['deposit refused while paused'] ?? 0) > 0,
      'operations were refused while paused',
    );
    t.ok((counts['committee change'] ?? 0) > 0, 'the committee changed');
    t.comment(JSON.stringify(counts));
  });
}
