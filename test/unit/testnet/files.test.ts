/** The files of a testnet directory: creation, resume, conflicts, and the node configs it writes. */
import t from 'tap';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../core/bytes.js';
import { readGenesisFile } from '../../../genesis/json.js';
import { readKeyFile } from '../../../genesis/keyfile.js';
import { parseNodeConfig } from '../../../node/config.js';
import {
  choosePorts,
  openTestnetFiles,
  validatorConfig,
  writeValidatorConfigs,
} from '../../../node/testnet/files.js';
import { readTestnetFile, writeTestnetFile } from '../../../node/testnet/file.js';
import { TestnetLayout } from '../../../node/testnet/layout.js';
import { freePort } from '../../../node/testnet/ports.js';
import { resolveEndpoints } from '../../../node/testnet/endpoints.js';

function tempDir(t: { teardown: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'hotshard-testnet-unit-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('a new directory gets keys, genesis, plan and funded accounts', async (t) => {
  const dir = join(tempDir(t), 'net');
  const files = await openTestnetFiles({ dir });
  t.equal(files.created, true);
  t.equal(files.validators.length, 4, '4 validators by default');
  t.equal(files.accounts.length, 4, '4 funded accounts by default');
  const layout = new TestnetLayout(dir);
  const genesis = readGenesisFile(layout.genesisFile);
  t.equal(genesis.shardCount, 1);
  t.equal(genesis.shardCommittees[0]!.length, 4);
  for (const a of files.accounts) {
    t.ok(existsSync(a.keyFile), 'account key file written');
    t.equal(statSync(a.keyFile).mode & 0o777, 0o600, 'key files are private');
    t.ok(a.balance > 0n, 'account funded in genesis');
    t.equal(toHex(readKeyFile(a.keyFile).address), toHex(a.keys.address));
  }
  for (const v of files.validators) t.equal(v.shard, 0);
  t.same(readdirSync(join(dir, '..')), ['net'], 'no temporary folder left behind');
});

t.test('resume: the same keys and genesis, never recreated', async (t) => {
  const dir = join(tempDir(t), 'net');
  const first = await openTestnetFiles({ dir, accounts: 2 });
  const genesisText = readFileSync(new TestnetLayout(dir).genesisFile, 'utf8');
  const again = await openTestnetFiles({ dir });
  t.equal(again.created, false);
  t.equal(readFileSync(new TestnetLayout(dir).genesisFile, 'utf8'), genesisText, 'genesis unchanged');
  t.same(
    again.validators.map((v) => v.peerId),
    first.validators.map((v) => v.peerId),
  );
  t.equal(again.accounts.length, 2, 'the plan of the directory wins over defaults');
});

t.test('options that contradict the directory are refused, naming them', async (t) => {
  const dir = join(tempDir(t), 'net');
  await openTestnetFiles({ dir });
  await t.rejects(openTestnetFiles({ dir, validatorsPerShard: 7 }), {
    code: 'DIR_CONFLICT',
    message: /validators per shard 7 \(the directory has 4\)/,
  });
  await t.resolves(openTestnetFiles({ dir, validatorsPerShard: 4 }), 'the same value is fine');
});

t.test('a non-empty directory without a testnet is refused', async (t) => {
  const dir = join(tempDir(t), 'busy');
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  await t.rejects(openTestnetFiles({ dir }), { code: 'DIR_CONFLICT', message: /not empty/ });
  t.same(readdirSync(dir), ['notes.txt'], 'nothing written into it');
});

t.test('bad counts are refused before anything is written', async (t) => {
  const dir = join(tempDir(t), 'net');
  await t.rejects(openTestnetFiles({ dir, validatorsPerShard: 3 }), {
    code: 'BAD_OPTIONS',
    message: /validators per shard/,
  });
  await t.rejects(openTestnetFiles({ dir, shards: 0 }), { code: 'BAD_OPTIONS' });
  t.notOk(existsSync(dir));
});

t.test('two shards: disjoint committees of 4, each validator knows its shard', async (t) => {
  const dir = join(tempDir(t), 'net');
  const files = await openTestnetFiles({ dir, shards: 2, accounts: 0 });
  t.equal(files.validators.length, 8);
  t.same(
    files.validators.map((v) => v.shard),
    [0, 0, 0, 0, 1, 1, 1, 1],
  );
});

t.test('configs: valid for node/config.ts, relative paths, every other validator as a peer', async (t) => {
  const dir = join(tempDir(t), 'net');
  const files = await openTestnetFiles({ dir });
  const ports = await choosePorts(files.layout, 4, '127.0.0.1');
  t.equal(new Set(ports.flatMap((p) => [p.p2p, p.rpc])).size, 8, 'eight distinct ports');
  writeValidatorConfigs(files, ports, {
    host: '127.0.0.1',
    logLevel: 'info',
    tuning: { verifierThreads: 0 },
  });
  for (const v of files.validators) {
    const paths = files.layout.validator(v.index);
    const json = JSON.parse(readFileSync(paths.configFile, 'utf8')) as unknown;
    const cfg = parseNodeConfig(json, paths.dir, paths.configFile);
    t.equal(cfg.keyFile, paths.keyFile);
    t.equal(cfg.genesisFile, files.layout.genesisFile);
    t.equal(cfg.dataDir, paths.dataDir);
    t.equal(cfg.rpc.port, ports[v.index]!.rpc);
    t.equal(cfg.tuning.verifierThreads, 0);
    t.equal(cfg.peers.length, 3);
    t.notOk(
      cfg.peers.some((p) => p.endsWith(v.peerId)),
      'not itself',
    );
  }
  // Resume keeps the ports that are still free, and replaces one that is taken.
  const again = await choosePorts(files.layout, 4, '127.0.0.1');
  t.same(again, ports, 'same endpoints after a restart');
  const { createServer } = await import('node:net');
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(ports[1]!.rpc, '127.0.0.1', () => r()));
  t.teardown(() => blocker.close());
  const moved = await choosePorts(files.layout, 4, '127.0.0.1');
  t.not(moved[1]!.rpc, ports[1]!.rpc, 'a taken port is replaced');
  t.same(moved[0], ports[0]);
  const cfg0 = validatorConfig(files, 0, moved, { host: '127.0.0.1', logLevel: 'info' });
  t.ok(
    (cfg0.peers as string[]).some((p) => p.includes(`/tcp/${moved[1]!.p2p}/`)),
    'peers follow the new ports',
  );
});

t.test('testnet.json round trip, and endpoint resolution for the CLI', async (t) => {
  const dir = tempDir(t);
  const layout = new TestnetLayout(dir);
  const port = await freePort();
  writeTestnetFile(layout, {
    version: 1,
    dir,
    chainId: 1,
    genesisFile: layout.genesisFile,
    genesisHash: '0x00',
    nativeAsset: '0x' + 'ff'.repeat(20),
    startedAt: new Date().toISOString(),
    validators: [
      {
        name: 'validator-0',
        shard: 0,
        rpc: `http://127.0.0.1:${port}`,
        pid: 1,
        p2p: '',
        publicKey: '0x',
        configFile: '',
        logFile: '',
      },
    ],
    accounts: [{ address: '0x' + '11'.repeat(20), keyFile: 'k', shard: 0, balance: '5' }],
  });
  t.equal(readTestnetFile(dir).validators[0]!.rpc, `http://127.0.0.1:${port}`);
  t.same(resolveEndpoints({ testnet: dir }).endpoints, [
    { name: 'validator-0', rpc: `http://127.0.0.1:${port}`, shard: 0 },
  ]);
  t.same(resolveEndpoints({ rpc: 'http://127.0.0.1:1' }).endpoints[0]!.rpc, 'http://127.0.0.1:1');
  t.throws(() => resolveEndpoints({ rpc: 'http://x', testnet: dir }), { code: 'BAD_OPTIONS' });
  t.throws(() => readTestnetFile(join(dir, 'nope')), { code: 'BAD_DIR', message: /hotshard testnet/ });
});
