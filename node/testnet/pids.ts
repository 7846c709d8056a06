/**
 * Processes known only by pid (validators left running by an earlier
 * `hotshard testnet` that was killed): whether they still run, whether a pid
 * still belongs to the validator we started (pids are reused), and the peak
 * memory they used.
 */
import { readFileSync } from 'node:fs';

/** True when a process with this pid exists (signal 0 checks without sending). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's command line as its arguments, or null when unknown (it ended, or no /proc). */
export function commandLineOf(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((s) => s.length > 0);
  } catch {
    return null;
  }
}

/** True when `pid` is alive and runs `node start --config <configFile>`. */
export function isValidatorProcess(pid: number, configFile: string): boolean {
  if (!isAlive(pid)) return false;
  const args = commandLineOf(pid);
  if (args === null) return false;
  const i = args.indexOf('--config');
  return args.includes('start') && i >= 0 && args[i + 1] === configFile;
}

/** Stops a process that is not our child: SIGTERM, then SIGKILL after `graceMs`. Resolves true when it had to be forced. */
export async function stopPid(pid: number, graceMs: number): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended in between
      }
      while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

export interface MemoryUsage {
  /** Resident set size now, in bytes. */
  readonly rssBytes: number;
  /** Peak resident set size since the process started (VmHWM), in bytes. */
  readonly peakRssBytes: number;
}

/** Reads VmRSS and VmHWM of /proc/<pid>/status; null when the process is gone or /proc is absent. */
export function memoryOf(pid: number): MemoryUsage | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field: string): number | null => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  if (rss === null || hwm === null) return null;
  return { rssBytes: rss, peakRssBytes: hwm };
}
