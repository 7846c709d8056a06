/**
 * Where a validator's CPU time goes: reads the V8 CPU profiles that
 * `node --cpu-prof` writes when a validator exits, and adds up the self time
 * of every sampled function by area of the code (hotshard folders, libraries,
 * garbage collection, idle).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The area a function belongs to, from its script URL. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(garbage collector)') return 'gc';
    if (functionName === '(program)') return 'native (program)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  // A piscina worker blocks in Atomics.wait between tasks: that is waiting, not work.
  if (functionName === 'atomicsWaitLoop') return 'idle';
  if (url.startsWith('node:internal/crypto/')) {
    if (functionName === 'verifyOneShot') return 'node:crypto ed25519 verify';
    if (functionName === 'signOneShot') return 'node:crypto ed25519 sign';
    if (/^create(Public|Private)Key$/.test(functionName)) return 'node:crypto key import';
    if (url.startsWith('node:internal/crypto/hash')) return 'node:crypto sha256';
    return 'node:crypto other';
  }
  if (/^(compile|wrapSafe)/.test(functionName) || url.includes('/modules/')) return 'module loading';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/dist\/([^/]+)\/(?:([^/]+)\/)?/.exec(url);
  if (m) {
    const top = m[1]!;
    // node/ and shards/ are big: split them by their sub-folder or file.
    if ((top === 'node' || top === 'shards' || top === 'consensus') && m[2] !== undefined)
      return `${top}/${m[2]}`;
    if (top === 'node' || top === 'shards' || top === 'consensus') {
      const file = /\/dist\/[^/]+\/([^/]+)\.js/.exec(url);
      return `${top}/${file ? file[1] : ''}`;
    }
    return top;
  }
  return 'other';
}

export interface ProfileSummary {
  readonly files: number;
  /** Milliseconds of samples per area, all profiles (threads) together, largest first. */
  readonly areas: ReadonlyArray<{ area: string; ms: number }>;
  readonly totalMs: number;
  /** Busy time: total minus idle. */
  readonly busyMs: number;
}

/** Sums the `.cpuprofile` files of a folder (one per thread of every validator). */
export function summarizeProfiles(dir: string): ProfileSummary {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    files = [];
  }
  const byArea = new Map<string, number>();
  for (const f of files) {
    let p: CpuProfile;
    try {
      p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    } catch {
      continue;
    }
    const areaById = new Map<number, string>();
    for (const n of p.nodes) areaById.set(n.id, areaOf(n.callFrame.url, n.callFrame.functionName));
    for (let i = 0; i < p.samples.length; i++) {
      const area = areaById.get(p.samples[i]!) ?? 'other';
      byArea.set(area, (byArea.get(area) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
    }
  }
  const areas = [...byArea.entries()]
    .map(([area, ms]) => ({ area, ms: Math.round(ms) }))
    .sort((a, b) => b.ms - a.ms);
  const totalMs = areas.reduce((s, a) => s + a.ms, 0);
  const idle = areas.find((a) => a.area === 'idle')?.ms ?? 0;
  return { files: files.length, areas, totalMs, busyMs: totalMs - idle };
}
