/**
 * The validator's configuration and `hotshard node start` arguments: defaults,
 * paths relative to the file, errors that name the field to fix; and a
 * validator that refuses to start with a key outside the committee.
 */
import '../../../core/polyfill.js';
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCode } from '../../../core/errors.js';
import { writeGenesisFile } from '../../../genesis/json.js';
import { generateValidatorKeys, writeKeyFile } from '../../../genesis/keyfile.js';
import { DEFAULT_TUNING, applyOverrides, loadNodeConfig, parseNodeConfig } from '../../../node/config.js';
import { Validator } from '../../../node/validator.js';
import { parseNodeStartArgs } from '../../../cmd/node.js';
import { UsageError } from '../../../cmd/command.js';
import { VALIDATORS, testGenesis } from './chain-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'hotshard-config-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const PEER = '/ip4/127.0.0.1/tcp/9001/p2p/12D3KooWEiBCr382KishXBKntdz11QV6g2rPaTGD7L4d4i33cA62';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? 'UNTYPED';
  }
}

t.test('a minimal file gets the defaults; relative paths resolve against its directory', async (t) => {
  const c = parseNodeConfig(
    { dataDir: 'data', keyFile: 'k.json', genesisFile: '../g.json', shard: 0 },
    '/srv/v0',
  );
  t.equal(c.dataDir, '/srv/v0/data');
  t.equal(c.genesisFile, '/srv/g.json');
  t.same(c.p2p, { host: '127.0.0.1', port: 0 });
  t.same(c.rpc, { host: '127.0.0.1', port: 0 });
  t.same(c.peers, []);
  t.equal(c.logLevel, 'info');
  t.same(c.tuning, DEFAULT_TUNING);
  const full = parseNodeConfig(
    {
      dataDir: '/abs',
      keyFile: 'k',
      genesisFile: 'g',
      shard: 3,
      p2p: { port: 9000 },
      rpc: { host: '127.0.0.1', port: 8545 },
      peers: [PEER],
      logLevel: 'debug',
      tuning: { verifierThreads: 0, syncBatchBlocks: 8 },
    },
    '/x',
  );
  t.equal(full.dataDir, '/abs');
  t.equal(full.p2p.port, 9000);
  t.equal(full.tuning.verifierThreads, 0);
  t.equal(full.tuning.syncBatchBlocks, 8);
  t.equal(full.tuning.mempoolCapacity, DEFAULT_TUNING.mempoolCapacity);
});

t.test('errors name the field to fix', async (t) => {
  const base = { dataDir: 'd', keyFile: 'k', genesisFile: 'g', shard: 0 };
  t.equal(
    codeOf(() => parseNodeConfig({ ...base, dataDir: undefined }, '/')),
    'MISSING',
  );
  t.equal(
    codeOf(() => parseNodeConfig({ ...base, shard: undefined }, '/')),
    'MISSING',
  );
  t.equal(
    codeOf(() => parseNodeConfig({ ...base, shard: -1 }, '/')),
    'BAD_FIELD',
  );
  t.equal(
    codeOf(() => parseNodeConfig({ ...base, datadir: 'x' }, '/')),
    'UNKNOWN_FIELD',
  );
  t.equal(
    codeOf(() => parseNodeConfig({ ...base, p2p: { port: 70000 } }, '/')),
    'BAD_FIELD',
  );
  t.equal(
    codeOf(() => parseNodeConfig({ ...base, peers: ['/ip4/127.0.0.1/tcp/1'] }, '/')),
    'BAD_FIELD',
  );
  t.equal(
    codeOf(() => parseNodeConfig({ ...base, logLevel: 'loud' }, '/')),
    'BAD_FIELD',
  );
  t.equal(
    codeOf(() => parseNodeConfig({ ...base, tuning: { verifierThreds: 1 } }, '/')),
    'UNKNOWN_FIELD',
  );
  t.equal(
    codeOf(() => parseNodeConfig({ ...base, tuning: { maxBlockTransactions: 5000 } }, '/')),
    'BAD_FIELD',
  );
  t.equal(
    codeOf(() => parseNodeConfig([], '/')),
    'NOT_JSON',
  );
  try {
    parseNodeConfig({ ...base, rpc: { port: 'x' } }, '/', 'node.json');
  } catch (err) {
    t.match((err as Error).message, /node\.json: "rpc\.port" must be a port number/);
  }
  writeFileSync(join(dir, 'bad.json'), '{ not json');
  t.equal(
    codeOf(() => loadNodeConfig(join(dir, 'bad.json'))),
    'NOT_JSON',
  );
  t.equal(
    codeOf(() => loadNodeConfig(join(dir, 'missing.json'))),
    'READ_FAILED',
  );
});

t.test('command-line overrides', async (t) => {
  const c = parseNodeConfig({ dataDir: 'd', keyFile: 'k', genesisFile: 'g', shard: 0 }, '/cfg');
  const o = applyOverrides(
    c,
    { dataDir: 'other', p2pPort: 9100, peers: [PEER], logLevel: 'warn', shard: 2 },
    '/cwd',
  );
  t.equal(o.dataDir, '/cwd/other');
  t.equal(o.p2p.port, 9100);
  t.same(o.peers, [PEER]);
  t.equal(o.logLevel, 'warn');
  t.equal(o.shard, 2);
  t.equal(o.keyFile, '/cfg/k');

  const args = parseNodeStartArgs([
    '--config',
    'n.json',
    '--rpc-port=8600',
    '--peers',
    `${PEER},${PEER}`,
    '--key',
    'k2',
  ]);
  t.equal(args.config, 'n.json');
  t.same(args.overrides, { rpcPort: 8600, peers: [PEER, PEER], keyFile: 'k2' });
  t.throws(() => parseNodeStartArgs([]), UsageError);
  t.throws(() => parseNodeStartArgs(['--config', 'n.json', '--bogus', '1']), UsageError);
  t.throws(() => parseNodeStartArgs(['--config', 'n.json', '--p2p-port', 'x']), UsageError);
  t.throws(() => parseNodeStartArgs(['--config']), UsageError);
});

t.test('a key outside the committee is refused before anything opens', async (t) => {
  writeGenesisFile(join(dir, 'genesis.json'), testGenesis());
  writeKeyFile(join(dir, 'stranger.json'), generateValidatorKeys());
  const config = parseNodeConfig(
    { dataDir: 'stranger', keyFile: 'stranger.json', genesisFile: 'genesis.json', shard: 0 },
    dir,
  );
  let err: unknown = null;
  try {
    await Validator.create(config);
  } catch (e) {
    err = e;
  }
  t.ok(hasCode(err, 'NOT_A_MEMBER'), 'NOT_A_MEMBER');
  t.match((err as Error).message, /not in the committee of shard 0/);
  let err2: unknown = null;
  try {
    await Validator.create({ ...config, shard: 5 });
  } catch (e) {
    err2 = e;
  }
  t.ok(hasCode(err2, 'NOT_A_MEMBER'), 'an unknown shard is refused');
});

t.test('a data directory in use by another validator is refused: LOCKED', async (t) => {
  writeGenesisFile(join(dir, 'genesis.json'), testGenesis());
  writeKeyFile(join(dir, 'v0.json'), VALIDATORS[0]!, { overwrite: true });
  const config = parseNodeConfig(
    {
      dataDir: 'locked',
      keyFile: 'v0.json',
      genesisFile: 'genesis.json',
      shard: 0,
      tuning: { verifierThreads: 0 },
    },
    dir,
  );
  const first = await Validator.create(config);
  let err: unknown = null;
  try {
    await Validator.create(config);
  } catch (e) {
    err = e;
  }
  t.ok(hasCode(err, 'LOCKED'), 'LOCKED');
  t.match((err as Error).message, /already running/);
  await first.stop();
  // Once the first one stopped (database closed last), the directory opens again.
  const again = await Validator.create(config);
  t.equal(again.chain.tip.height, 0);
  await again.stop();
});
