/**
 * One validator as an operating-system process: spawned from dist/ with its
 * config file, stdout and stderr appended to its node.log, stopped by its own
 * pid (SIGTERM, then SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { HotshardClient } from '../client/client.js';
import type { StatusView } from '../client/views.js';
import { TestnetError } from './errors.js';

export interface ValidatorSpawnSpec {
  readonly name: string;
  /** dist/cmd/hotshard.js */
  readonly entry: string;
  readonly configFile: string;
  readonly logFile: string;
  readonly rpcUrl: string;
  /** Extra environment for the child (the parent's is inherited). */
  readonly env?: NodeJS.ProcessEnv;
  /** Arguments for the node runtime before the script (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export const DEFAULT_STOP_GRACE_MS = 15_000;
export const DEFAULT_READY_TIMEOUT_MS = 60_000;

/**
 * Environment every validator process starts with unless the caller's own
 * environment says otherwise. glibc gives each thread that allocates its own
 * malloc arena (a validator has about a dozen: V8's helpers, libuv's pool,
 * LevelDB's), and memory freed in one arena is not reused by another: two
 * arenas took about 10 MB off each validator's peak RSS under the benchmark,
 * at no measurable CPU cost (docs/node.md, Memory).
 */
export const VALIDATOR_ENV_DEFAULTS: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

export class ValidatorProcess {
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | null = null;

  private constructor(
    readonly spec: ValidatorSpawnSpec,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  /**
   * Starts the process. It runs in its own process group (detached), so that
   * a Ctrl-C in the terminal reaches only the testnet command, which then
   * stops each validator in order and waits for it.
   */
  static spawn(spec: ValidatorSpawnSpec): ValidatorProcess {
    const out = openSync(spec.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        process.execPath,
        [...(spec.nodeArgs ?? []), spec.entry, 'node', 'start', '--config', spec.configFile],
        {
          detached: true,
          stdio: ['ignore', out, out],
          env: { ...VALIDATOR_ENV_DEFAULTS, ...process.env, ...spec.env },
        },
      );
    } finally {
      closeSync(out); // the child holds its own copy of the descriptor
    }
    if (child.pid === undefined) {
      throw new TestnetError(
        'START_FAILED',
        `${spec.name}: could not start ${process.execPath} ${spec.entry}`,
        {
          name: spec.name,
        },
      );
    }
    return new ValidatorProcess(spec, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get name(): string {
    return this.spec.name;
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  /** How the process ended, or null while it runs. */
  get exit(): ExitInfo | null {
    return this.exitInfo;
  }

  /**
   * Polls hs_status until the validator answers. Fails fast with
   * START_FAILED (and the end of its log) when the process exits first.
   */
  async waitReady(timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<StatusView> {
    const client = new HotshardClient(this.spec.rpcUrl, { timeoutMs: 2000, maxSockets: 1 });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        if (this.exitInfo !== null) {
          const how = this.exitInfo.signal ?? `code ${this.exitInfo.code}`;
          throw new TestnetError(
            'START_FAILED',
            `${this.name} exited (${how}) before it was ready; the end of ${this.spec.logFile}:\n${tailOf(this.spec.logFile)}`,
            { name: this.name, log: this.spec.logFile },
          );
        }
        try {
          return await client.status();
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) {
          throw new TestnetError(
            'NOT_READY',
            `${this.name} did not answer hs_status on ${this.spec.rpcUrl} within ${timeoutMs} ms; see ${this.spec.logFile}`,
            { name: this.name, log: this.spec.logFile },
          );
        }
        await Promise.race([new Promise((r) => setTimeout(r, 200)), this.exited]);
      }
    } finally {
      client.close();
    }
  }

  /** Sends a signal (SIGKILL to crash it on purpose). */
  kill(signal: NodeJS.Signals): void {
    if (this.exitInfo === null) this.child.kill(signal);
  }

  /**
   * Stops the validator cleanly: SIGTERM, then SIGKILL when it has not exited
   * after `graceMs`. Resolves to how it ended and whether it had to be forced.
   */
  async stop(graceMs = DEFAULT_STOP_GRACE_MS): Promise<ExitInfo & { forced: boolean }> {
    if (this.exitInfo !== null) return { ...this.exitInfo, forced: false };
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), graceMs);
    });
    const first = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return { ...first, forced: false };
    this.child.kill('SIGKILL');
    return { ...(await this.exited), forced: true };
  }
}

/** The last lines of a log file, for error messages. */
export function tailOf(file: string, lines = 15): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const len = Math.min(size, 16_384);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      return buf
        .toString('utf8')
        .split('\n')
        .slice(-lines - 1)
        .join('\n');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '(no log)';
  }
}
