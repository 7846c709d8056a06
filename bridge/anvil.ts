/**
 * A local Ethereum node for tests, benchmarks and local testnets: anvil from @foundry-rs/anvil, listening on
 * 127.0.0.1 on a port the OS picks, stopped by its own pid. `slotsInAnEpoch: 1` keeps the `finalized` block
 * one or two blocks behind the head (the default lags 64 blocks).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hex } from 'viem';
import { BridgeError } from './errors.js';

export interface AnvilOptions {
  /** Seconds per block; automine (a block per transaction) when omitted. */
  readonly blockTime?: number;
  /** Default 1, so that `finalized` follows the head closely. */
  readonly slotsInAnEpoch?: number;
  readonly chainId?: number;
  /** Dev accounts (default 10), each with `balanceEth` ether (default 10,000). */
  readonly accounts?: number;
  readonly balanceEth?: number;
  readonly extraArgs?: readonly string[];
  readonly startTimeoutMs?: number;
}

export interface Anvil {
  readonly rpcUrl: string;
  readonly port: number;
  readonly pid: number;
  /** Private keys of the funded dev accounts, in anvil's order. */
  readonly privateKeys: readonly Hex[];
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
  'linux-arm64': '@foundry-rs/anvil-linux-arm64',
  'darwin-x64': '@foundry-rs/anvil-darwin-amd64',
  'darwin-arm64': '@foundry-rs/anvil-darwin-arm64',
  'win32-x64': '@foundry-rs/anvil-win32-amd64',
};

/** The anvil binary itself (so that the pid we stop is anvil's), else the package's node wrapper. */
function anvilCommand(): { command: string; prefix: string[] } {
  const pkg = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`];
  if (pkg !== undefined) {
    try {
      const dir = dirname(require.resolve(`${pkg}/package.json`));
      return { command: join(dir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil'), prefix: [] };
    } catch {
      // fall through to the wrapper
    }
  }
  try {
    return {
      command: process.execPath,
      prefix: [join(dirname(require.resolve('@foundry-rs/anvil/package.json')), 'bin.mjs')],
    };
  } catch (err) {
    throw new BridgeError(
      'ANVIL',
      'anvil is not installed: run `npm install` (it comes with @foundry-rs/anvil)',
      {},
      { cause: err },
    );
  }
}

export async function startAnvil(opts: AnvilOptions = {}): Promise<Anvil> {
  const { command, prefix } = anvilCommand();
  const args = [
    ...prefix,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--slots-in-an-epoch',
    String(opts.slotsInAnEpoch ?? 1),
    '--accounts',
    String(opts.accounts ?? 10),
    '--balance',
    String(opts.balanceEth ?? 10_000),
    ...(opts.blockTime !== undefined ? ['--block-time', String(opts.blockTime)] : []),
    ...(opts.chainId !== undefined ? ['--chain-id', String(opts.chainId)] : []),
    ...(opts.extraArgs ?? []),
  ];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new BridgeError('ANVIL', `could not start ${command}`);
  const pid = child.pid;
  // Never leave an anvil behind when this process ends without stopping it.
  const killOnExit = (): void => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);

  let output = '';
  const ready = await new Promise<{ port: number; keys: Hex[] }>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new BridgeError(
            'ANVIL',
            `anvil did not start within ${opts.startTimeoutMs ?? 15_000} ms: ${output.slice(-500)}`,
          ),
        ),
      opts.startTimeoutMs ?? 15_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        const keysSection = output.split('Private Keys')[1]?.split('Wallet')[0] ?? '';
        const keys = [...keysSection.matchAll(/\(\d+\)\s+(0x[0-9a-fA-F]{64})/g)].map((k) => k[1] as Hex);
        child.stdout?.off('data', onData);
        child.stdout?.resume(); // keep draining so anvil never blocks on a full pipe
        resolve({ port: Number(m[1]), keys });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new BridgeError('ANVIL', `anvil exited with code ${code}: ${output.slice(-500)}`));
    });
  }).catch((err: unknown) => {
    killOnExit();
    process.off('exit', killOnExit);
    throw err;
  });

  return {
    rpcUrl: `http://127.0.0.1:${ready.port}`,
    port: ready.port,
    pid,
    privateKeys: ready.keys,
    stop: () => stopChild(child, pid, killOnExit),
  };
}

async function stopChild(child: ChildProcess, pid: number, killOnExit: () => void): Promise<void> {
  process.off('exit', killOnExit);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000).unref());
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  }
}
