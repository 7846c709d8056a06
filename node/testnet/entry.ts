/**
 * Where the built `hotshard` command lives, and whether it is older than the
 * sources. Validators always run from dist/ (a real process, the same code
 * users run), whether the caller runs from dist/ or from the sources (tests).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestnetError } from './errors.js';

const SOURCE_DIRS = ['core', 'consensus', 'shards', 'bridge', 'genesis', 'node', 'cmd'];

/** The project root (the folder holding package.json), from here or from dist/. */
export function projectRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url)); // <root>/node/testnet or <root>/dist/node/testnet
  const up = resolve(here, '..', '..');
  return existsSync(join(up, 'package.json')) ? up : resolve(up, '..');
}

/** dist/cmd/hotshard.js, or NO_BUILD when it is missing. */
export function hotshardEntry(root = projectRoot()): string {
  const entry = join(root, 'dist', 'cmd', 'hotshard.js');
  if (!existsSync(entry)) {
    throw new TestnetError(
      'NO_BUILD',
      `${entry} is missing: run \`npm run build\` (npm install runs it too) first`,
      {
        entry,
      },
    );
  }
  return entry;
}

function newestMtime(dir: string): number {
  let newest = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** True when a source file is newer than the built entry point (or nothing is built). */
export function isBuildStale(root = projectRoot()): boolean {
  const entry = join(root, 'dist', 'cmd', 'hotshard.js');
  if (!existsSync(entry)) return true;
  const built = statSync(entry).mtimeMs;
  return SOURCE_DIRS.some((d) => newestMtime(join(root, d)) > built);
}

/**
 * Builds dist/ when it is missing or stale (tsc emits even when another
 * module has type errors). Several test files may ask at once: a lock
 * directory lets one build while the others wait for it.
 */
export async function ensureBuilt(root = projectRoot(), timeoutMs = 180_000): Promise<string> {
  if (!isBuildStale(root)) return hotshardEntry(root);
  const lock = join(root, 'dist.build-lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) {
        throw new TestnetError(
          'NO_BUILD',
          `waited for ${lock} to go away; remove it if no build is running`,
          {},
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (isBuildStale(root)) {
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      await new Promise<void>((res) => {
        execFile(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root }, () =>
          res(),
        );
      });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return hotshardEntry(root);
}
