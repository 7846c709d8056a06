/** Key files, Ethereum addresses and the `keys` / `genesis` commands. */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex, equalBytes } from '../../../core/bytes.js';
import { addressFromPublicKey } from '../../../core/address.js';
import {
  createGenesisFromKeyFiles,
  genesisHash,
  ethAddressFromSecret,
  formatKeyFile,
  generateValidatorKeys,
  parseEthAddress,
  parseKeyFile,
  parsePublicKeys,
  publicKeysOf,
  publicKeysToJson,
  readGenesisFile,
  readKeyFile,
  toChecksumAddress,
  writeKeyFile,
} from '../../../genesis/index.js';
import keysCommand from '../../../cmd/keys.js';
import genesisCommand from '../../../cmd/genesis.js';

const dir = mkdtempSync(join(tmpdir(), 'hotshard-keys-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a command in-process and captures what it prints. */
async function run(
  cmd: { run(a: string[]): Promise<number> },
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await cmd.run(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

t.test('Ethereum addresses: known answers and EIP-55', async (t) => {
  const one = new Uint8Array(32);
  one[31] = 1;
  t.equal(
    toChecksumAddress(ethAddressFromSecret(one)),
    '0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf',
    'secret key 1',
  );
  // The examples of EIP-55.
  for (const a of [
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
  ]) {
    t.equal(toChecksumAddress(fromHex(a)), a);
    t.ok(parseEthAddress(a).ok);
    const i = [...a].findIndex((c, k) => k > 1 && /[a-fA-F]/.test(c)); // flip the case of the first letter
    const flipped =
      a.slice(0, i) +
      (a[i] === a[i]!.toLowerCase() ? a[i]!.toUpperCase() : a[i]!.toLowerCase()) +
      a.slice(i + 1);
    t.same(parseEthAddress(flipped), { ok: false, reason: 'checksum' }, `${flipped}: a case typo is caught`);
  }
  t.ok(parseEthAddress('0x' + 'ab'.repeat(20)).ok, 'all lower case is accepted');
  t.same(parseEthAddress('0x1234'), { ok: false, reason: 'format' });
});

t.test('key files: round trip, mode 0600, no silent overwrite, tampering detected', async (t) => {
  const keys = generateValidatorKeys();
  const file = join(dir, 'k.json');
  writeKeyFile(file, keys);
  t.equal(statSync(file).mode & 0o777, 0o600, 'owner-only');
  const back = readKeyFile(file);
  t.ok(equalBytes(back.ed25519.seed, keys.ed25519.seed));
  t.ok(equalBytes(back.secp256k1.secret, keys.secp256k1.secret));
  t.ok(
    equalBytes(back.address, addressFromPublicKey(keys.ed25519.publicKey)),
    'address = first 20 bytes of SHA-256 of the public key',
  );
  t.throws(() => writeKeyFile(file, generateValidatorKeys()), { code: 'EXISTS' });
  writeFileSync(join(dir, 'loose.json'), 'x', { mode: 0o644 });
  writeKeyFile(join(dir, 'loose.json'), keys, { overwrite: true });
  t.equal(statSync(join(dir, 'loose.json')).mode & 0o777, 0o600, 'an overwritten file becomes owner-only');
  t.throws(() => readKeyFile(join(dir, 'missing.json')), { code: 'NOT_FOUND' });

  const json = JSON.parse(formatKeyFile(keys));
  const other = generateValidatorKeys();
  const tamper = (f: (j: any) => void) => {
    const j = JSON.parse(JSON.stringify(json));
    f(j);
    return JSON.stringify(j);
  };
  t.throws(() => parseKeyFile(tamper((j) => (j.ed25519.publicKey = '0x' + toHex(other.ed25519.publicKey)))), {
    code: 'MISMATCH',
  });
  t.throws(
    () =>
      parseKeyFile(tamper((j) => (j.secp256k1.ethAddress = toChecksumAddress(other.secp256k1.ethAddress)))),
    { code: 'MISMATCH' },
  );
  t.throws(() => parseKeyFile(tamper((j) => (j.address = '0x' + toHex(other.address)))), {
    code: 'MISMATCH',
  });
  t.throws(() => parseKeyFile(tamper((j) => (j.version = 9))), { code: 'VERSION' });
  t.throws(() => parseKeyFile(tamper((j) => (j.ed25519.seed = '0x12'))), { code: 'BAD_FORMAT' });
  t.throws(() => parseKeyFile(tamper((j) => (j.secp256k1.secret = '0x' + '00'.repeat(32)))), {
    code: 'BAD_FORMAT',
  });
  t.throws(() => parseKeyFile('{'), { code: 'BAD_JSON' });
  // A public key file carries no secret and is read as the same public keys.
  const pub = JSON.stringify(publicKeysToJson(publicKeysOf(keys)));
  t.notMatch(pub, toHex(keys.ed25519.seed));
  t.ok(equalBytes(parsePublicKeys(pub).ethAddress, keys.secp256k1.ethAddress));
});

t.test('commands: keys generate/show, genesis create/validate', async (t) => {
  const vdir = join(dir, 'validators');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(vdir);
  for (let i = 0; i < 4; i++) {
    const r = await run(keysCommand, ['generate', '--out', join(vdir, `v${i}.json`), '--json']);
    t.equal(r.code, 0);
    t.match(JSON.parse(r.out), { type: 'hotshard-public-key', address: /^0x[0-9a-f]{40}$/ });
  }
  const show = await run(keysCommand, ['show', join(vdir, 'v0.json'), '--json']);
  t.notMatch(show.out, /seed|secret/, 'show never prints a secret');
  writeFileSync(join(dir, 'v0.pub'), show.out);

  const out = join(dir, 'genesis.json');
  const created = await run(genesisCommand, [
    'create',
    '--validators',
    vdir,
    '--shards',
    '1',
    '--out',
    out,
    '--fund',
    `${JSON.parse(show.out).address}=5000`,
    '--json',
  ]);
  t.equal(created.code, 0, created.err);
  const g = readGenesisFile(out);
  t.equal(g.beaconCommittee.length, 4);
  t.equal(g.balances[0]!.amount, 5000n);
  const validated = await run(genesisCommand, ['validate', out, '--json']);
  t.equal(validated.code, 0);
  t.equal(
    JSON.parse(validated.out).hash,
    JSON.parse(created.out).hash,
    'validate prints the hash create printed',
  );
  const same = createGenesisFromKeyFiles([vdir], {
    chainId: g.chainId,
    ethereumChainId: g.ethereumChainId,
    shardCount: 1,
    genesisTime: g.genesisTime,
    funds: [{ address: g.balances[0]!.address, amount: 5000n }],
  });
  t.equal(
    '0x' + toHex(genesisHash(same)),
    JSON.parse(created.out).hash,
    'the library gives the same genesis as the command',
  );
  t.throws(
    () =>
      createGenesisFromKeyFiles([join(dir, 'nowhere')], { chainId: 1, ethereumChainId: 1, shardCount: 1 }),
    {
      code: 'NOT_FOUND',
    },
  );

  // A public key file works in place of a key file.
  const files = [join(dir, 'v0.pub'), ...[1, 2, 3].map((i) => join(vdir, `v${i}.json`))].join(',');
  t.equal(
    (
      await run(genesisCommand, [
        'create',
        '--validators',
        files,
        '--shards',
        '1',
        '--out',
        join(dir, 'g2.json'),
      ])
    ).code,
    0,
  );

  const broken = JSON.parse(readFileSync(out, 'utf8'));
  broken.beaconCommittee[0].stake = '0';
  broken.balances[0].amount = '0';
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(broken));
  const bad = await run(genesisCommand, ['validate', join(dir, 'bad.json')]);
  t.equal(bad.code, 1);
  t.match(bad.err, /2 problems/);
  t.match(bad.err, /ZERO_STAKE: beaconCommittee\[0\]\.stake/);

  await t.rejects(run(genesisCommand, ['create', '--validators', vdir, '--out', join(dir, 'x.json')]), {
    name: 'UsageError',
    message: /--shards/,
  });
  await t.rejects(run(genesisCommand, ['create', '--validators', vdir, '--shards', '1', '--out', out]), {
    message: /exists/,
  });
  await t.rejects(
    run(genesisCommand, [
      'create',
      '--validators',
      vdir,
      '--shards',
      '1',
      '--out',
      join(dir, 'y.json'),
      '--fund',
      'nope=1',
    ]),
    {
      message: /not an account address/,
    },
  );
  await t.rejects(run(keysCommand, ['generate', '--out', join(vdir, 'v0.json')]), { code: 'EXISTS' });
  await t.rejects(run(keysCommand, ['rotate']), { name: 'UsageError' });
});
