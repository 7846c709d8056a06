/**
 * A small Prometheus registry: counters, gauges and histograms with labels,
 * and the text exposition format (version 0.0.4). No external dependency.
 *
 * A registry is created by the node and passed to every component that
 * records metrics (`metrics: MetricsRegistry | null`); there is no global
 * registry, so two nodes in one process (tests) never mix their figures.
 *
 * Names follow Prometheus conventions: `hotshard_<area>_<what>_<unit>`, with
 * the unit spelled out (`_seconds`, `_bytes`, `_total` for counters).
 */
import { HotshardError } from '../../core/errors.js';

/**
 * Misuse of the registry (a programming error, caught by tests):
 * - BAD_NAME: a metric or label name that Prometheus would not accept.
 * - DUPLICATE: two metrics registered under one name with different shapes.
 * - BAD_LABELS: a sample given labels other than the metric's declared ones.
 * - BAD_VALUE: a non-finite value, or a negative counter increment.
 */
export type MetricsErrorCode = 'BAD_NAME' | 'DUPLICATE' | 'BAD_LABELS' | 'BAD_VALUE';
export class MetricsError extends HotshardError<MetricsErrorCode> {}

export type LabelValues<L extends string> = { readonly [K in L]: string | number };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Default histogram buckets in seconds, from 100 µs to 10 s (storage writes, requests, validation). */
export const DEFAULT_SECONDS_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Label keys cached per one-label metric; past this, keys are built per call (still correct). */
const MAX_CACHED_LABEL_KEYS = 256;

function hasOnlyKey(labels: object, name: string): boolean {
  for (const k in labels) if (k !== name) return false;
  return true;
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatNumber(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

interface MetricBase {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly labelNames: readonly string[];
  /** Appends the exposition lines of this metric's samples. */
  expose(out: string[]): void;
}

abstract class LabelledMetric<L extends string, S> implements MetricBase {
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  protected readonly series = new Map<string, { labels: string; value: S }>();
  /** Series keys of a one-label metric by label value (label values are few: codes, reasons, kinds). */
  private readonly singleLabelKeys = new Map<string, string>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
  ) {}

  protected abstract initial(): S;
  abstract expose(out: string[]): void;

  /** The series of `labels`, created on first use. */
  protected seriesOf(labels: LabelValues<L> | undefined): { labels: string; value: S } {
    const key = this.labelKey(labels);
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: key, value: this.initial() };
      this.series.set(key, s);
    }
    return s;
  }

  /** The series of `labels` if it exists (reading never creates one). */
  protected findSeries(labels: LabelValues<L> | undefined): { labels: string; value: S } | undefined {
    return this.series.get(this.labelKey(labels));
  }

  private labelKey(labels: LabelValues<L> | undefined): string {
    // Hot paths (a counter bumped per transaction) without allocating: no labels, or one known label.
    if (labels === undefined && this.labelNames.length === 0) return '';
    const name = this.labelNames.length === 1 ? this.labelNames[0]! : undefined;
    const value = name === undefined ? undefined : (labels as Record<string, unknown> | undefined)?.[name];
    if (value === undefined) return this.checkedLabelKey(labels);
    const known = this.singleLabelKeys.get(String(value));
    if (known !== undefined && hasOnlyKey(labels!, name!)) return known;
    const key = this.checkedLabelKey(labels); // throws for a wrong label set: nothing is cached then
    if (this.singleLabelKeys.size < MAX_CACHED_LABEL_KEYS) this.singleLabelKeys.set(String(value), key);
    return key;
  }

  private checkedLabelKey(labels: LabelValues<L> | undefined): string {
    const given = labels === undefined ? [] : Object.keys(labels);
    if (
      given.length !== this.labelNames.length ||
      !this.labelNames.every((n) => labels !== undefined && n in labels)
    ) {
      throw new MetricsError(
        'BAD_LABELS',
        `${this.name} takes labels [${this.labelNames.join(', ')}], got [${given.join(', ')}]`,
        {
          metric: this.name,
        },
      );
    }
    if (this.labelNames.length === 0) return '';
    // Declared order, so that one label set always maps to one series.
    return this.labelNames.map((n) => `${n}="${escapeLabelValue(String(labels![n]))}"`).join(',');
  }

  /** Removes every series (for gauges that are recomputed from scratch). */
  reset(): void {
    this.series.clear();
  }
}

function checkValue(name: string, v: number): void {
  if (!Number.isFinite(v))
    throw new MetricsError('BAD_VALUE', `${name}: value must be finite, got ${v}`, { metric: name });
}

export class Counter<L extends string = never> extends LabelledMetric<L, number> {
  readonly type = 'counter' as const;
  protected initial(): number {
    return 0;
  }
  inc(labels?: LabelValues<L>, by = 1): void {
    checkValue(this.name, by);
    if (by < 0)
      throw new MetricsError('BAD_VALUE', `${this.name}: a counter only increases`, { metric: this.name });
    this.seriesOf(labels).value += by;
  }
  get(labels?: LabelValues<L>): number {
    return this.findSeries(labels)?.value ?? 0;
  }
  expose(out: string[]): void {
    for (const s of this.series.values())
      out.push(`${this.name}${s.labels ? `{${s.labels}}` : ''} ${formatNumber(s.value)}`);
  }
}

export class Gauge<L extends string = never> extends LabelledMetric<L, number> {
  readonly type = 'gauge' as const;
  protected initial(): number {
    return 0;
  }
  set(labels: LabelValues<L> | undefined, value: number): void {
    checkValue(this.name, value);
    this.seriesOf(labels).value = value;
  }
  inc(labels?: LabelValues<L>, by = 1): void {
    checkValue(this.name, by);
    this.seriesOf(labels).value += by;
  }
  dec(labels?: LabelValues<L>, by = 1): void {
    this.inc(labels, -by);
  }
  get(labels?: LabelValues<L>): number {
    return this.findSeries(labels)?.value ?? 0;
  }
  expose(out: string[]): void {
    for (const s of this.series.values())
      out.push(`${this.name}${s.labels ? `{${s.labels}}` : ''} ${formatNumber(s.value)}`);
  }
}

interface HistogramState {
  readonly counts: number[]; // per bucket, not cumulative
  sum: number;
  count: number;
}

export class Histogram<L extends string = never> extends LabelledMetric<L, HistogramState> {
  readonly type = 'histogram' as const;
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]) {
    super(name, help, labelNames);
    const sorted = [...buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((b, i) => !Number.isFinite(b) || (i > 0 && b === sorted[i - 1]))) {
      throw new MetricsError('BAD_VALUE', `${name}: buckets must be distinct finite numbers`, {
        metric: name,
      });
    }
    this.buckets = sorted;
  }

  protected initial(): HistogramState {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  observe(labels: LabelValues<L> | undefined, value: number): void {
    checkValue(this.name, value);
    const s = this.seriesOf(labels).value;
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]!) i++;
    s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  /** Starts a timer; the returned function observes the elapsed seconds and returns them. */
  startTimer(labels?: LabelValues<L>): () => number {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.observe(labels, seconds);
      return seconds;
    };
  }

  /** Count and sum of one series (for tests and status output). */
  get(labels?: LabelValues<L>): { count: number; sum: number } {
    const s = this.findSeries(labels)?.value;
    return { count: s?.count ?? 0, sum: s?.sum ?? 0 };
  }

  expose(out: string[]): void {
    for (const s of this.series.values()) {
      const prefix = s.labels ? `${s.labels},` : '';
      let cumulative = 0;
      this.buckets.forEach((b, i) => {
        cumulative += s.value.counts[i]!;
        out.push(`${this.name}_bucket{${prefix}le="${formatNumber(b)}"} ${cumulative}`);
      });
      cumulative += s.value.counts[this.buckets.length]!;
      out.push(`${this.name}_bucket{${prefix}le="+Inf"} ${cumulative}`);
      const suffix = s.labels ? `{${s.labels}}` : '';
      out.push(`${this.name}_sum${suffix} ${formatNumber(s.value.sum)}`);
      out.push(`${this.name}_count${suffix} ${s.value.count}`);
    }
  }
}

export interface MetricOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
}

export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds; DEFAULT_SECONDS_BUCKETS when omitted. */
  readonly buckets?: readonly number[];
}

/** The Content-Type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Holds the metrics of one node. Registering a name twice with the same type
 * and labels returns the existing metric (components may be created more
 * than once, e.g. one per committee); another shape is an error.
 */
export class MetricsRegistry {
  private readonly metrics = new Map<string, MetricBase>();
  private readonly collectors: (() => void)[] = [];

  counter<L extends string = never>(opts: MetricOptions<L>): Counter<L> {
    return this.register(opts, 'counter', () => new Counter<L>(opts.name, opts.help, opts.labelNames ?? []));
  }

  gauge<L extends string = never>(opts: MetricOptions<L>): Gauge<L> {
    return this.register(opts, 'gauge', () => new Gauge<L>(opts.name, opts.help, opts.labelNames ?? []));
  }

  histogram<L extends string = never>(opts: HistogramOptions<L>): Histogram<L> {
    return this.register(
      opts,
      'histogram',
      () =>
        new Histogram<L>(
          opts.name,
          opts.help,
          opts.labelNames ?? [],
          opts.buckets ?? DEFAULT_SECONDS_BUCKETS,
        ),
    );
  }

  /** Runs `fn` before each exposition, to refresh gauges that are read rather than pushed (peer counts, heights). */
  addCollector(fn: () => void): void {
    this.collectors.push(fn);
  }

  /** The metric registered under `name`, if any. */
  get(name: string): MetricBase | undefined {
    return this.metrics.get(name);
  }

  /** The Prometheus text exposition of every metric, sorted by name. */
  expose(): string {
    for (const c of this.collectors) {
      try {
        c();
      } catch {
        // A failing collector must not take the whole /metrics page down.
      }
    }
    const out: string[] = [];
    for (const name of [...this.metrics.keys()].sort()) {
      const m = this.metrics.get(name)!;
      out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`);
      out.push(`# TYPE ${m.name} ${m.type}`);
      m.expose(out);
    }
    return out.join('\n') + '\n';
  }

  private register<M extends MetricBase>(
    opts: MetricOptions<string>,
    type: MetricBase['type'],
    make: () => M,
  ): M {
    if (!METRIC_NAME.test(opts.name))
      throw new MetricsError('BAD_NAME', `bad metric name ${opts.name}`, { metric: opts.name });
    const labels = opts.labelNames ?? [];
    for (const l of labels) {
      if (!LABEL_NAME.test(l) || l.startsWith('__') || l === 'le') {
        throw new MetricsError('BAD_NAME', `bad label name ${l} on ${opts.name}`, { metric: opts.name });
      }
    }
    const existing = this.metrics.get(opts.name);
    if (existing !== undefined) {
      if (existing.type !== type || existing.labelNames.join(',') !== labels.join(',')) {
        throw new MetricsError(
          'DUPLICATE',
          `${opts.name} is already registered as another ${existing.type}`,
          { metric: opts.name },
        );
      }
      return existing as M;
    }
    const m = make();
    this.metrics.set(opts.name, m);
    return m;
  }
}
