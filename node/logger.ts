/**
 * Structured JSON logs: one JSON object per line with `time`, `level`,
 * `module`, `msg` and the caller's fields. A logger is created by the node
 * and passed in; each component takes a child (`log.child('network')`), so
 * every line names its module (Lodestar's pattern). There is no global
 * logger.
 *
 * Field values are made JSON-safe: bigint as a decimal string, bytes as
 * 0x-hex, errors as `{name, code, message, context}`.
 */
import { toHex } from '../core/bytes.js';
import { HotshardError } from '../core/errors.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];

const RANK: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, silent: 100 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  /** Dotted module path, e.g. `node.network`. */
  readonly module: string;
  trace(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** True when a line of `level` would be written (to skip building costly fields). */
  isEnabled(level: LogLevel): boolean;
  /** A logger for a sub-module (`parent.child`), with `fields` added to every line. */
  child(module: string, fields?: LogFields): Logger;
}

/** Where lines go: stderr by default; tests collect them. */
export type LogSink = (line: string) => void;

export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly module?: string;
  readonly sink?: LogSink;
  /** Fields added to every line (e.g. the validator's name). */
  readonly fields?: LogFields;
  /** Clock for `time` (ms since epoch); Date.now by default. */
  readonly now?: () => number;
}

const MAX_DEPTH = 6;

/** A JSON-safe copy of a log field value. */
export function toLogValue(v: unknown, depth = 0): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'undefined') return null;
  if (v instanceof Uint8Array) return '0x' + toHex(v);
  if (v instanceof HotshardError) return toLogValue(v.toJSON(), depth);
  if (v instanceof Error)
    return {
      name: v.name,
      message: v.message,
      ...('code' in v ? { code: toLogValue((v as { code: unknown }).code, depth + 1) } : {}),
    };
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Array.isArray(v)) return v.map((x) => toLogValue(x, depth + 1));
  if (v instanceof Map)
    return Object.fromEntries([...v].map(([k, x]) => [String(k), toLogValue(x, depth + 1)]));
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toLogValue(x, depth + 1);
    return out;
  }
  return String(v);
}

class JsonLogger implements Logger {
  constructor(
    readonly module: string,
    private readonly minRank: number,
    private readonly sink: LogSink,
    private readonly fields: LogFields,
    private readonly now: () => number,
  ) {}

  isEnabled(level: LogLevel): boolean {
    return RANK[level] >= this.minRank && level !== 'silent';
  }

  private write(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void {
    if (RANK[level] < this.minRank) return;
    const line: Record<string, unknown> = {
      time: new Date(this.now()).toISOString(),
      level,
      module: this.module,
      msg,
    };
    for (const [k, v] of Object.entries(this.fields)) if (!(k in line)) line[k] = toLogValue(v);
    if (fields) for (const [k, v] of Object.entries(fields)) if (!(k in line)) line[k] = toLogValue(v);
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({
        time: line.time,
        level,
        module: this.module,
        msg,
        fieldsError: 'unserialisable fields',
      });
    }
    this.sink(text);
  }

  trace(msg: string, fields?: LogFields): void {
    this.write('trace', msg, fields);
  }
  debug(msg: string, fields?: LogFields): void {
    this.write('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.write('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }

  child(module: string, fields?: LogFields): Logger {
    return new JsonLogger(
      this.module ? `${this.module}.${module}` : module,
      this.minRank,
      this.sink,
      { ...this.fields, ...fields },
      this.now,
    );
  }
}

const stderrSink: LogSink = (line) => {
  process.stderr.write(line + '\n');
};

/** Creates the root logger of a process (or of one node in a test). */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  return new JsonLogger(
    opts.module ?? 'node',
    RANK[level],
    opts.sink ?? stderrSink,
    opts.fields ?? {},
    opts.now ?? Date.now,
  );
}

/** A logger that writes nothing (for tools and tests that do not care). */
export function nullLogger(): Logger {
  return createLogger({ level: 'silent', sink: () => {} });
}

/** Parses a level name (CLI, env); throws a typed error on an unknown one. */
export function parseLogLevel(s: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(s)) return s as LogLevel;
  throw new HotshardError(
    'BAD_LOG_LEVEL',
    `unknown log level ${s}; expected one of ${LOG_LEVELS.join(', ')}`,
    { level: s },
  );
}
