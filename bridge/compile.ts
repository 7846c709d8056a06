/**
 * Offline build of bridge/contracts with solc-js (DESIGN.md, Bridge to Ethereum). OpenZeppelin imports are
 * read from node_modules through solc's import callback. The ABI and bytecode are build products, never
 * committed: they are cached in bridge/build/artifacts.json, keyed by a hash of the sources, the compiler
 * version and the settings, and rebuilt whenever that key changes, so a fresh clone compiles on first use.
 *
 * Run alone (`node dist/bridge/compile.js`) it writes the cache and prints a summary.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Abi, Hex } from 'viem';
import { BridgeError } from './errors.js';

export interface ContractArtifact {
  readonly abi: Abi;
  /** Creation bytecode, 0x-prefixed. */
  readonly bytecode: Hex;
  /** Size of the runtime code in bytes (the EIP-170 limit is 24,576). */
  readonly runtimeSize: number;
}

export interface Artifacts {
  readonly key: string;
  readonly solcVersion: string;
  readonly contracts: Readonly<Record<string, ContractArtifact>>;
}

/** Compiler settings: part of the cache key. `cancun` is the oldest EVM with the transient storage OpenZeppelin's guard uses. */
export const SOLC_SETTINGS = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 10_000 },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const;

const require = createRequire(import.meta.url);

/** The project root: the nearest ancestor holding package.json and bridge/contracts (works from sources and dist/). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bridge', 'contracts'))) return dir;
    const up = dirname(dir);
    if (up === dir)
      throw new BridgeError('COMPILE_FAILED', 'cannot find bridge/contracts above ' + import.meta.url);
    dir = up;
  }
}

export function contractsDir(): string {
  return join(projectRoot(), 'bridge', 'contracts');
}

export function artifactsPath(): string {
  return join(projectRoot(), 'bridge', 'build', 'artifacts.json');
}

function listSources(dir: string, root = dir): Record<string, { content: string }> {
  const out: Record<string, { content: string }> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, listSources(full, root));
    else if (entry.name.endsWith('.sol')) {
      out[relative(root, full).split(sep).join('/')] = { content: readFileSync(full, 'utf8') };
    }
  }
  return out;
}

function openZeppelinDir(): string {
  return dirname(require.resolve('@openzeppelin/contracts/package.json'));
}

function solcPackageVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('solc/package.json'), 'utf8')) as { version: string })
    .version;
}

/** The cache key: sources, compiler version, OpenZeppelin version and settings. */
export function sourceKey(sources = listSources(contractsDir())): string {
  const h = createHash('sha256');
  h.update(solcPackageVersion() + '\n');
  h.update(readFileSync(join(openZeppelinDir(), 'package.json')));
  h.update(JSON.stringify(SOLC_SETTINGS));
  for (const [name, { content }] of Object.entries(sources))
    h.update(`\n${name}\n${content.length}\n${content}`);
  return h.digest('hex');
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
}

/** Compiles every contract under bridge/contracts (tests' helper contracts included). */
export async function compileContracts(): Promise<Artifacts> {
  const sources = listSources(contractsDir());
  const key = sourceKey(sources);
  const solc = (await import('solc')).default;
  const oz = openZeppelinDir();
  const findImports = (path: string): { contents: string } | { error: string } => {
    const prefix = '@openzeppelin/contracts/';
    if (!path.startsWith(prefix)) return { error: `unknown import ${path}` };
    const file = join(oz, path.slice(prefix.length));
    if (!file.startsWith(oz + sep) || !existsSync(file))
      return { error: `not found in node_modules: ${path}` };
    return { contents: readFileSync(file, 'utf8') };
  };
  const input = { language: 'Solidity', sources, settings: SOLC_SETTINGS };
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), { import: findImports }) as string,
  ) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new BridgeError('COMPILE_FAILED', errors.map((e) => e.formattedMessage).join('\n'));
  }
  const contracts: Record<string, ContractArtifact> = {};
  for (const [file, units] of Object.entries(output.contracts ?? {})) {
    if (!(file in sources)) continue; // OpenZeppelin's own units
    for (const [name, unit] of Object.entries(units)) {
      if (unit.evm.bytecode.object.length === 0) continue; // interfaces, abstract contracts
      if (name in contracts) throw new BridgeError('COMPILE_FAILED', `two contracts named ${name}`);
      contracts[name] = {
        abi: unit.abi,
        bytecode: `0x${unit.evm.bytecode.object}`,
        runtimeSize: unit.evm.deployedBytecode.object.length / 2,
      };
    }
  }
  return { key, solcVersion: solc.version() as string, contracts };
}

let memo: Artifacts | undefined;

/**
 * The compiled contracts: from bridge/build/artifacts.json when its key matches the sources, else compiled
 * now and written there (atomically, so that test files compiling at once never read half a file).
 */
export async function loadArtifacts(): Promise<Artifacts> {
  const key = sourceKey();
  if (memo?.key === key) return memo;
  const path = artifactsPath();
  try {
    const cached = JSON.parse(readFileSync(path, 'utf8')) as Artifacts;
    if (cached.key === key) return (memo = cached);
  } catch {
    // missing or unreadable: compile below
  }
  const fresh = await compileContracts();
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(fresh));
    renameSync(tmp, path);
  } catch {
    // a read-only install still works, compiling once per process
  }
  return (memo = fresh);
}

/** One contract's artifact; throws when the name is unknown. */
export async function artifact(name: string): Promise<ContractArtifact> {
  const a = (await loadArtifacts()).contracts[name];
  if (a === undefined)
    throw new BridgeError('COMPILE_FAILED', `no contract named ${name} in bridge/contracts`);
  return a;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  const a = await loadArtifacts();
  const sizes = Object.entries(a.contracts).map(([n, c]) => `${n} ${c.runtimeSize} B`);
  console.log(`bridge contracts (solc ${a.solcVersion}, ${Date.now() - started} ms): ${sizes.join(', ')}`);
  console.log(`written to ${relative(process.cwd(), artifactsPath())}`);
}
