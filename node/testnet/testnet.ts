/**
 * A local testnet as a library: one directory, one process per validator
 * (spawned from dist/), endpoints in testnet.json, clean stop by pid, and
 * resume from the same directory. `hotshard testnet`, the benchmark and the
 * end-to-end tests all run testnets through this class.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { addressToHex } from '../../core/address.js';
import { toHex } from '../../core/bytes.js';
import { NATIVE_ASSET_ID } from '../../genesis/asset-id.js';
import { genesisHash } from '../../genesis/codec.js';
import { HotshardClient } from '../client/client.js';
import type { StatusView } from '../client/views.js';
import { hotshardEntry } from './entry.js';
import { TestnetError } from './errors.js';
import { readTestnetFile, writeTestnetFile, type TestnetFile } from './file.js';
import {
  choosePorts,
  openTestnetFiles,
  peerAddress,
  writeValidatorConfigs,
  type LoadedAccount,
  type LoadedValidator,
  type TestnetFiles,
  type ValidatorPorts,
} from './files.js';
import {
  TESTNET_DEFAULTS,
  VALIDATOR_NODE_ARGS,
  testnetVerifierThreads,
  type TestnetOptions,
} from './options.js';
import { isValidatorProcess, stopPid } from './pids.js';
import {
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_STOP_GRACE_MS,
  ValidatorProcess,
  type ExitInfo,
} from './process.js';

export interface ValidatorHandle {
  readonly index: number;
  readonly name: string;
  readonly shard: number;
  readonly rpc: string;
  readonly p2p: string;
  readonly publicKey: string;
  /** The running process, or null when stopped. */
  readonly process: ValidatorProcess | null;
}

export class Testnet {
  private procs: (ValidatorProcess | null)[];
  private ports: ValidatorPorts[] = [];
  private readonly entry: string;

  private constructor(
    readonly files: TestnetFiles,
    private readonly options: TestnetOptions,
  ) {
    this.procs = files.validators.map(() => null);
    this.entry = hotshardEntry();
  }

  /**
   * Creates the directory's keys, genesis and plan, or loads them when the
   * directory already holds a testnet. Starts nothing.
   */
  static async open(options: TestnetOptions): Promise<Testnet> {
    hotshardEntry(); // fail before creating anything when there is nothing to run
    return new Testnet(await openTestnetFiles(options), options);
  }

  get dir(): string {
    return this.files.layout.dir;
  }

  get created(): boolean {
    return this.files.created;
  }

  get host(): string {
    return this.options.host ?? TESTNET_DEFAULTS.host;
  }

  get validators(): ValidatorHandle[] {
    return this.files.validators.map((v) => this.handle(v));
  }

  get accounts(): readonly LoadedAccount[] {
    return this.files.accounts;
  }

  /** A client for validator `index` (close it when done). */
  client(index: number, timeoutMs?: number): HotshardClient {
    return new HotshardClient(this.rpcUrl(index), timeoutMs === undefined ? {} : { timeoutMs });
  }

  rpcUrl(index: number): string {
    const p = this.ports[index];
    if (p === undefined) throw new TestnetError('NOT_READY', 'the testnet has not been started', {});
    return `http://${this.host}:${p.rpc}`;
  }

  /**
   * Starts every validator, waits until each answers hs_status, and writes
   * testnet.json. Refuses when validators of this directory still run.
   */
  async start(): Promise<TestnetFile> {
    this.refuseIfRunning();
    this.ports = await choosePorts(this.files.layout, this.files.validators.length, this.host);
    const tuning = {
      verifierThreads: testnetVerifierThreads(availableParallelism(), this.files.validators.length),
      ...(this.options.tuning ?? {}),
    };
    writeValidatorConfigs(this.files, this.ports, {
      host: this.host,
      logLevel: this.options.logLevel ?? TESTNET_DEFAULTS.logLevel,
      tuning,
    });
    try {
      for (const v of this.files.validators) this.spawn(v.index);
      await Promise.all(
        this.files.validators.map((v) => this.procs[v.index]!.waitReady(this.readyTimeoutMs)),
      );
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this.writeFile();
  }

  /** Starts one stopped validator again (same ports, same database) and waits until it answers. */
  async startValidator(index: number): Promise<StatusView> {
    const p = this.procs[index];
    if (p !== null && p !== undefined && p.running) {
      throw new TestnetError(
        'ALREADY_RUNNING',
        `${this.files.validators[index]!.name} is running (pid ${p.pid})`,
        {},
      );
    }
    this.spawn(index);
    const status = await this.procs[index]!.waitReady(this.readyTimeoutMs);
    this.writeFile();
    return status;
  }

  /** Stops one validator cleanly (SIGTERM, SIGKILL after the grace period). */
  async stopValidator(index: number): Promise<ExitInfo & { forced: boolean }> {
    const p = this.procs[index];
    if (p === null || p === undefined) return { code: null, signal: null, forced: false };
    return p.stop(this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
  }

  /** Sends a signal to one validator (SIGKILL to crash it on purpose) and waits for it to exit. */
  async killValidator(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitInfo> {
    const p = this.procs[index];
    if (p === null || p === undefined)
      throw new TestnetError('NOT_READY', `validator ${index} is not running`, {});
    p.kill(signal);
    return p.exited;
  }

  /** Stops every validator in parallel; resolves to how each one ended. */
  async stop(): Promise<Array<{ name: string } & ExitInfo & { forced: boolean }>> {
    const grace = this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    const out = await Promise.all(
      this.procs.map(async (p, i) => ({
        name: this.files.validators[i]!.name,
        ...(p === null ? { code: null, signal: null, forced: false } : await p.stop(grace)),
      })),
    );
    return out;
  }

  /** The current testnet.json contents (pids of running validators). */
  describe(): TestnetFile {
    const g = this.files.genesis;
    return {
      version: 1,
      dir: this.dir,
      chainId: g.chainId,
      genesisFile: this.files.layout.genesisFile,
      genesisHash: '0x' + toHex(genesisHash(g)),
      nativeAsset: '0x' + toHex(NATIVE_ASSET_ID),
      startedAt: new Date().toISOString(),
      validators: this.validators.map((v) => ({
        name: v.name,
        shard: v.shard,
        rpc: v.rpc,
        pid: v.process?.pid ?? 0,
        p2p: v.p2p,
        publicKey: v.publicKey,
        configFile: this.files.layout.validator(v.index).configFile,
        logFile: this.files.layout.validator(v.index).logFile,
      })),
      accounts: this.files.accounts.map((a) => ({
        address: addressToHex(a.keys.address),
        keyFile: a.keyFile,
        shard: a.shard,
        balance: a.balance.toString(),
      })),
    };
  }

  private get readyTimeoutMs(): number {
    return this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  }

  private writeFile(): TestnetFile {
    const f = this.describe();
    writeTestnetFile(this.files.layout, f);
    return f;
  }

  private handle(v: LoadedValidator): ValidatorHandle {
    const ports = this.ports[v.index];
    const proc = this.procs[v.index] ?? null;
    return {
      index: v.index,
      name: v.name,
      shard: v.shard,
      rpc: ports ? `http://${this.host}:${ports.rpc}` : '',
      p2p: ports ? peerAddress(this.host, ports.p2p, v.peerId) : '',
      publicKey: '0x' + toHex(v.keys.ed25519.publicKey),
      process: proc !== null && proc.running ? proc : null,
    };
  }

  private spawn(index: number): void {
    const paths = this.files.layout.validator(index);
    mkdirSync(paths.dataDir, { recursive: true });
    this.procs[index] = ValidatorProcess.spawn({
      name: paths.name,
      entry: this.entry,
      configFile: paths.configFile,
      logFile: paths.logFile,
      rpcUrl: this.rpcUrl(index),
      ...(this.options.env !== undefined ? { env: this.options.env } : {}),
      nodeArgs: [...VALIDATOR_NODE_ARGS, ...(this.options.nodeArgs ?? [])],
    });
  }

  /** Throws ALREADY_RUNNING when validators of this directory still run (from an earlier process). */
  refuseIfRunning(): void {
    let previous: TestnetFile;
    try {
      previous = readTestnetFile(this.dir);
    } catch {
      return; // never started
    }
    const running = previous.validators.filter(
      (v) =>
        v.pid > 0 && isValidatorProcess(v.pid, this.files.layout.validator(this.indexOf(v.name)).configFile),
    );
    if (running.length > 0) {
      throw new TestnetError(
        'ALREADY_RUNNING',
        `validators of ${this.dir} are still running (pids ${running.map((v) => v.pid).join(', ')}): ` +
          `stop the other \`hotshard testnet\` (Ctrl-C), or run \`hotshard testnet stop --dir ${this.dir}\``,
        { pids: running.map((v) => v.pid) },
      );
    }
  }

  private indexOf(name: string): number {
    const i = this.files.validators.findIndex((v) => v.name === name);
    return i < 0 ? 0 : i;
  }
}

/**
 * Stops validators of a directory left running by another process (a
 * `hotshard testnet` that was killed): by the pids of its testnet.json, only
 * those that still run this directory's configs.
 */
export async function stopOrphanedValidators(
  dir: string,
  graceMs = DEFAULT_STOP_GRACE_MS,
): Promise<number[]> {
  const file = readTestnetFile(dir);
  const pids = file.validators
    .filter((v) => v.pid > 0 && isValidatorProcess(v.pid, v.configFile))
    .map((v) => v.pid);
  await Promise.all(pids.map((pid) => stopPid(pid, graceMs)));
  return pids;
}
