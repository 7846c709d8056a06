/**
 * `hotshard bridge` on a real anvil, from a genesis made by genesis/: deploy (committee, genesis hash and
 * parameters from the genesis file, bridge.json next to it), deposit, sign with validator key files, relay
 * (twice: the second is a no-op), status through its states, withdraw with a proof file, info; and errors
 * that say what to fix. Subcommands run in-process; one runs as a real `hotshard` process.
 */
import '../../core/polyfill.js';
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bytesToHex, zeroHash, type Hex } from 'viem';
import command from '../../cmd/bridge.js';
import { UsageError } from '../../cmd/command.js';
import { startAnvil, type Anvil } from '../../bridge/anvil.js';
import { checkpointToJson, EMPTY_WITHDRAWALS_ROOT } from '../../bridge/checkpoint.js';
import { committeeToJson, committeeFromGenesis } from '../../bridge/setup.js';
import { WithdrawalTree } from '../../bridge/withdrawals.js';
import { connectL1 } from '../../bridge/l1.js';
import { ETH_ASSET_ID } from '../../genesis/asset-id.js';
import { genesisHash } from '../../genesis/codec.js';
import { createGenesis } from '../../genesis/create.js';
import { writeGenesisFile } from '../../genesis/json.js';
import { generateValidatorKeys, publicKeysOf, writeKeyFile } from '../../genesis/keyfile.js';
import { toChecksumAddress } from '../../genesis/eth-address.js';
import { increaseTime } from '../unit/bridge/fixtures.js';

let anvil: Anvil;
const dir = mkdtempSync(join(tmpdir(), 'hotshard-bridge-cli-'));
const keys = Array.from({ length: 4 }, () => generateValidatorKeys());
const genesis = createGenesis({
  chainId: 77,
  ethereumChainId: 31337,
  shardCount: 1,
  validators: keys.map(publicKeysOf),
  bridge: { withdrawalLimits: [{ asset: ETH_ASSET_ID, amountPerPeriod: 10n ** 21n }] },
});
const genesisFile = join(dir, 'genesis.json');
const config = join(dir, 'bridge.json');
keys.forEach((k, i) => writeKeyFile(join(dir, `validator-${i}.json`), k));
writeGenesisFile(genesisFile, genesis);

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
  try {
    const code = await command.run(args);
    return { code, out: lines.join('\n') };
  } finally {
    console.log = log;
  }
}
const cliJson = async <T = Record<string, unknown>>(args: string[]): Promise<T> =>
  JSON.parse((await cli([...args, '--json'])).out) as T;

t.before(async () => {
  anvil = await startAnvil();
  process.env.HOTSHARD_L1_KEY = anvil.privateKeys[0];
});
t.teardown(async () => {
  delete process.env.HOTSHARD_L1_KEY;
  await anvil?.stop();
  rmSync(dir, { recursive: true, force: true });
});

t.test('deploy from a genesis file writes bridge.json next to it', async (t) => {
  const out = await cliJson(['deploy', '--l1-rpc', anvil.rpcUrl, '--genesis', genesisFile]);
  t.equal(out.config, config);
  const written = JSON.parse(readFileSync(config, 'utf8')) as Record<string, string | number>;
  for (const k of ['address', 'l1Rpc', 'chainId', 'deployBlock', 'genesisHash'])
    t.ok(k in written, `bridge.json has ${k}`);
  t.equal(written.genesisHash, bytesToHex(genesisHash(genesis)));
  t.equal(written.chainId, 31337);
  t.equal(written.committeeHash, committeeFromGenesis(genesis).hash);
  const info = await cliJson<{
    genesisHash: string;
    sidechainChainId: string;
    committeeHash: string;
    withdrawalDelay: string;
  }>(['info', '--config', config]);
  t.equal(info.genesisHash, bytesToHex(genesisHash(genesis)), 'the contract stores the genesis hash');
  t.equal(info.sidechainChainId, '77');
  t.equal(info.committeeHash, committeeFromGenesis(genesis).hash);
  t.equal(info.withdrawalDelay, String(genesis.bridge.withdrawalDelaySeconds));
});

t.test('deposit, sign, relay twice, status, withdraw, info', async (t) => {
  const dep = await cliJson<{ nonce: string; depositHash: Hex }>([
    'deposit',
    '--config',
    config,
    '--to',
    `0x${'42'.repeat(20)}`,
    '--amount',
    '5000',
  ]);
  t.equal(dep.nonce, '1');

  const recipient = toChecksumAddress(keys[0]!.secp256k1.ethAddress) as Hex;
  const tree = new WithdrawalTree([
    { id: 0n, recipient, token: '0x0000000000000000000000000000000000000000', amount: 1200n },
  ]);
  const b = JSON.parse(readFileSync(config, 'utf8')) as { address: string };
  t.ok(b.address);
  const cp = {
    chainId: 77n,
    sequence: 1n,
    epoch: 1n,
    beaconHeightFrom: 1n,
    beaconHeightTo: 32n,
    previousCheckpoint: zeroHash,
    beaconBlockHash: `0x${'33'.repeat(32)}` as Hex,
    withdrawalsRoot: tree.root(),
    withdrawalsCount: 1n,
    depositNonce: 1n,
    depositHash: dep.depositHash,
    nextCommitteeHash: zeroHash,
    unpause: false,
  };
  t.not(cp.withdrawalsRoot, EMPTY_WITHDRAWALS_ROOT);
  const cpFile = join(dir, 'checkpoint.json');
  writeFileSync(cpFile, JSON.stringify(checkpointToJson(cp)));
  t.equal(
    (await cliJson<{ state: string }>(['status', '--config', config, '--id', '0'])).state,
    'not yet checkpointed',
  );

  const signatures = [];
  for (let i = 0; i < 3; i++)
    signatures.push(
      await cliJson([
        'sign',
        '--config',
        config,
        '--checkpoint',
        cpFile,
        '--validator-key',
        join(dir, `validator-${i}.json`),
      ]),
    );
  const submission = join(dir, 'submission.json');
  writeFileSync(
    submission,
    JSON.stringify({
      checkpoint: checkpointToJson(cp),
      committee: committeeToJson(committeeFromGenesis(genesis)),
      signatures,
    }),
  );
  t.equal(
    (await cliJson<{ outcome: string }>(['relay', '--config', config, '--submission', submission])).outcome,
    'submitted',
  );
  t.equal(
    (await cliJson<{ outcome: string }>(['relay', '--config', config, '--submission', submission])).outcome,
    'already-accepted',
  );

  t.equal(
    (await cliJson<{ state: string }>(['status', '--config', config, '--id', '0'])).state,
    'in its delay',
  );
  const l1 = await connectL1(anvil.rpcUrl, { pollingIntervalMs: 10 });
  await increaseTime(l1, genesis.bridge.withdrawalDelaySeconds + 1);
  t.equal((await cliJson<{ state: string }>(['status', '--config', config, '--id', '0'])).state, 'provable');

  const p = tree.proof(0n);
  const proofFile = join(dir, 'proof.json');
  writeFileSync(
    proofFile,
    JSON.stringify({ ...p, withdrawal: { ...p.withdrawal, id: '0', amount: '1200' } }),
  );
  const before = await l1.public.getBalance({ address: recipient });
  const w = await cli(['withdraw', '--config', config, '--proof', proofFile]);
  t.equal(w.code, 0);
  t.match(w.out, /withdrawal 0 paid/);
  t.equal((await l1.public.getBalance({ address: recipient })) - before, 1200n);
  t.equal((await cliJson<{ state: string }>(['status', '--config', config, '--id', '0'])).state, 'paid');
  const info = await cliJson<{
    state: { depositCount: string; latestSequence: string };
    assets: { locked: string }[];
  }>(['info', '--config', config]);
  t.equal(info.state.depositCount, '1');
  t.equal(info.state.latestSequence, '1');
  t.equal(info.assets[0]!.locked, '3800', '5000 deposited - 1200 withdrawn');
});

t.test('errors say what to fix', async (t) => {
  const usage = async (args: string[], pattern: RegExp) => {
    await t.rejects(command.run(args), UsageError);
    await command.run(args).catch((err: Error) => t.match(err.message, pattern, args.join(' ')));
  };
  await usage([], /name a subcommand/);
  await usage(['launch'], /unknown subcommand "launch"/);
  await usage(['deploy', '--genesis', genesisFile], /--l1-rpc/);
  await usage(
    ['deploy', '--l1-rpc', anvil.rpcUrl, '--genesis', genesisFile, '--testnet'],
    /comes from the genesis/,
  );
  await usage(['deploy', '--l1-rpc', anvil.rpcUrl], /exactly one of --genesis FILE or --committee FILE/);
  await usage(['deposit', '--config', config, '--to', '0x12', '--amount', '1'], /sidechain address/);
  await usage(
    ['deposit', '--config', join(dir, 'missing.json'), '--to', `0x${'42'.repeat(20)}`, '--amount', '1'],
    /run `hotshard bridge deploy` first/,
  );
  await usage(['status', '--config', config], /--id is required/);
  await usage(['deposit', '--bogus'], /Unknown option '--bogus'/);
  const other = { ...genesis, ethereumChainId: 1 };
  const otherFile = join(dir, 'other-genesis.json');
  writeGenesisFile(otherFile, other);
  await usage(
    ['deploy', '--l1-rpc', anvil.rpcUrl, '--genesis', otherFile],
    /names Ethereum chain 1, but .* is chain 31337/,
  );
  const saved = process.env.HOTSHARD_L1_KEY;
  delete process.env.HOTSHARD_L1_KEY;
  await usage(
    ['deposit', '--config', config, '--to', `0x${'42'.repeat(20)}`, '--amount', '1'],
    /HOTSHARD_L1_KEY/,
  );
  process.env.HOTSHARD_L1_KEY = saved;
  await t.rejects(
    cli(['deploy', '--l1-rpc', 'http://127.0.0.1:1', '--genesis', genesisFile]),
    { code: 'RPC' },
    'no node at that URL',
  );
});

t.test('a real `hotshard bridge` process', async (t) => {
  const run = promisify(execFile);
  const { stdout } = await run(
    process.execPath,
    ['--loader', 'ts-node/esm', 'cmd/hotshard.ts', 'bridge', 'info', '--config', config, '--json'],
    {
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', NODE_NO_WARNINGS: '1' },
    },
  );
  const info = JSON.parse(stdout) as { state: { depositCount: string } };
  t.equal(info.state.depositCount, '1');
});
