/**
 * The README's main command, end to end: `hotshard testnet` on defaults
 * (run in a temporary working directory, so ./testnet is there), a transfer sent with `hotshard tx transfer`
 * committed and visible on every validator via `hotshard account`,
 * `hotshard status`, Ctrl-C stopping every validator cleanly, and a second
 * run resuming the same chain. Also: --help everywhere, and usage errors that
 * say what to fix.
 */
import t from 'tap';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from '../../node/testnet/entry.js';
import { isAlive } from '../../node/testnet/pids.js';
import type { TestnetFile } from '../../node/testnet/file.js';

t.setTimeout(170_000);

let entry = '';
t.before(async () => {
  entry = await ensureBuilt();
});

const dir = mkdtempSync(join(tmpdir(), 'hotshard-e2e-cli-'));
const netDir = join(dir, 'testnet');
let running: ChildProcess | null = null;

t.teardown(async () => {
  if (running !== null && running.exitCode === null) {
    running.kill('SIGINT');
    await new Promise((r) => running!.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function hotshard(args: string[], timeoutMs = 90_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [entry, ...args], { cwd: dir, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code =
        err === null
          ? 0
          : typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `hotshard testnet` on its defaults (./testnet in the working directory) and resolves once it printed its endpoints. */
function startTestnet(): Promise<{ proc: ChildProcess; out: () => string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [entry, 'testnet'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Ctrl-C stops every validator')) resolve({ proc, out: () => out });
    });
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    proc.once('exit', (code) =>
      reject(new Error(`hotshard testnet exited (${code}) before it was ready:\n${out}\n${err}`)),
    );
  });
}

function stopTestnet(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    proc.once('exit', (code) => resolve(code));
    proc.kill('SIGINT');
  });
}

t.test('every command has --help; usage errors say what to fix', async (t) => {
  for (const cmd of ['testnet', 'tx', 'account', 'status', 'bench']) {
    const r = await hotshard([cmd, '--help']);
    t.equal(r.code, 0, `${cmd} --help exits 0`);
    t.match(r.stdout, new RegExp(`Usage: hotshard ${cmd}`), `${cmd} --help prints its usage`);
  }
  const missing = await hotshard(['tx', 'transfer', '--to', '0x' + '11'.repeat(20), '--amount', '5']);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /--from is required/);
  const badFlag = await hotshard(['status', '--bogus']);
  t.equal(badFlag.code, 2);
  t.match(badFlag.stderr, /--bogus.*hotshard status --help/s);
  const noNet = await hotshard(['status']);
  t.equal(noNet.code, 1);
  t.match(noNet.stderr, /give --rpc URL.*--testnet DIR/);
  const badAmount = await hotshard([
    'tx',
    'transfer',
    '--from',
    'x.json',
    '--to',
    '0x' + '11'.repeat(20),
    '--amount',
    '1.5',
  ]);
  t.equal(badAmount.code, 2);
  t.match(badAmount.stderr, /whole number/);
});

let file: TestnetFile;
let firstHeight = 0;

t.test('hotshard testnet starts 4 validators and writes testnet.json', async (t) => {
  const { proc, out } = await startTestnet();
  running = proc;
  t.match(out(), /4 validators, 1 shard/);
  file = JSON.parse(readFileSync(join(netDir, 'testnet.json'), 'utf8')) as TestnetFile;
  t.equal(file.validators.length, 4);
  t.equal(file.accounts.length, 4, 'four funded accounts');
  for (const v of file.validators) {
    t.match(v.rpc, /^http:\/\/127\.0\.0\.1:\d+$/, 'listens on 127.0.0.1');
    t.ok(isAlive(v.pid), `${v.name} runs (pid ${v.pid})`);
    t.match(out(), v.rpc, 'its endpoint is printed');
  }
});

t.test('a transfer sent with the CLI is committed and visible on every validator', async (t) => {
  const [a, b] = file.accounts;
  const before = await hotshard(['account', b!.address, '--json']); // ./testnet by default
  t.equal(before.code, 0, before.stderr);
  const balanceBefore = BigInt(
    (JSON.parse(before.stdout) as { balances: Record<string, string> }).balances[file.nativeAsset]!,
  );

  const tx = await hotshard([
    'tx',
    'transfer',
    '--from',
    a!.keyFile,
    '--to',
    b!.address,
    '--amount',
    '12345',
    '--testnet',
    netDir,
    '--json',
  ]);
  t.equal(tx.code, 0, tx.stderr);
  const res = JSON.parse(tx.stdout) as {
    committed: boolean;
    hash: string;
    receipt: { height: number; status: string };
  };
  t.equal(res.committed, true);
  t.ok(res.receipt.height > 0);

  for (const v of file.validators) {
    // A validator that has not yet executed the block answers with the old balance: poll.
    let seen = false;
    for (let i = 0; i < 100 && !seen; i++) {
      const r = await hotshard(['account', b!.address, '--rpc', v.rpc, '--json']);
      t.equal(r.code, 0, r.stderr);
      const acct = JSON.parse(r.stdout) as { balances: Record<string, string>; height: number };
      seen = BigInt(acct.balances[file.nativeAsset]!) === balanceBefore + 12345n;
      if (!seen) await new Promise((r) => setTimeout(r, 200));
    }
    t.ok(seen, `${v.name} shows the credited balance`);
  }
  const human = await hotshard(['tx', 'transfer', '--from', a!.keyFile, '--to', b!.address, '--amount', '1']);
  t.equal(human.code, 0, human.stderr);
  t.match(human.stdout, /committed: 0x[0-9a-f]{64} in block \d+/);
});

t.test('hotshard status shows every validator up', async (t) => {
  const r = await hotshard(['status', '--testnet', netDir, '--json']);
  t.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as {
    validators: Array<{ ok: boolean; status: { committedHeight: number } }>;
  };
  t.equal(s.validators.length, 4);
  t.ok(s.validators.every((v) => v.ok));
  firstHeight = Math.min(...s.validators.map((v) => v.status.committedHeight));
  const table = await hotshard(['status']); // ./testnet by default
  t.match(table.stdout, /validator-3/);
});

t.test('Ctrl-C stops every validator cleanly and exits 0', async (t) => {
  const code = await stopTestnet(running!);
  running = null;
  t.equal(code, 0);
  for (const v of file.validators) t.notOk(isAlive(v.pid), `${v.name} (pid ${v.pid}) is gone`);
  const logs = readFileSync(join(netDir, 'validator-0', 'node.log'), 'utf8');
  t.match(logs, /node started/, 'the validator logged to its node.log');
});

t.test('run again: it resumes the same chain from the same directory', async (t) => {
  const { proc, out } = await startTestnet();
  running = proc;
  t.match(out(), /resumed/);
  const again = JSON.parse(readFileSync(join(netDir, 'testnet.json'), 'utf8')) as TestnetFile;
  t.equal(again.genesisHash, file.genesisHash, 'same genesis');
  const r = await hotshard(['status', '--testnet', netDir, '--json']);
  const s = JSON.parse(r.stdout) as { validators: Array<{ status: { committedHeight: number } }> };
  t.ok(
    s.validators.every((v) => v.status.committedHeight >= firstHeight),
    `heights continue from where they were (>= ${firstHeight})`,
  );
  const [a, b] = file.accounts;
  const acct = await hotshard(['account', a!.keyFile, '--testnet', netDir, '--json']);
  t.equal((JSON.parse(acct.stdout) as { nonce: string }).nonce, '2', 'the sender nonce survived the restart');
  const tx = await hotshard([
    'tx',
    'transfer',
    '--from',
    b!.keyFile,
    '--to',
    a!.address,
    '--amount',
    '7',
    '--testnet',
    netDir,
    '--json',
  ]);
  t.equal(tx.code, 0, tx.stderr);
  t.equal(await stopTestnet(proc), 0);
  running = null;
});

t.test('hotshard bench --json: its last line carries the figures', async (t) => {
  const r = await hotshard(
    ['bench', '--rate', '40', '--duration', '2', '--warmup', '0', '--accounts', '16', '--json'],
    150_000,
  );
  t.equal(r.code, 0, r.stderr.slice(-2000));
  const last = r.stdout.trim().split('\n').at(-1)!;
  const j = JSON.parse(last) as Record<string, unknown>;
  for (const k of ['tps', 'bound', 'ratio', 'p50Ms', 'p99Ms', 'rssMb'])
    t.type(j[k], 'number', `${k} is a number`);
  t.ok((j.tps as number) > 0, 'transfers were committed');
  t.ok((j.bound as number) > 0, 'the bound was measured');
  const phase = (j.phases as Array<Record<string, number>>)[0]!;
  t.equal(phase.receiptsNotSuccess, 0, 'the sampled receipts all succeeded');
  for (const k of ['p50ToProposalMs', 'p50ProposalToCommitMs'])
    t.type(phase[k], 'number', `the phase splits its latency: ${k}`);
  t.ok(phase.p50ProposalToCommitMs! > 0, 'a commit is seen after its proposal');
});
