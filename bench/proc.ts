/**
 * Per-process figures from /proc (Linux): CPU time used and peak memory. The
 * benchmark reads them for each validator process by its pid.
 */
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux, the unit of utime/stime in /proc/<pid>/stat

/** User plus system CPU seconds the process has used so far, or null when it is gone. */
export function cpuSecondsOf(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}
