import type { Metric, Registry } from 'prom-client';

/** One method and route pattern: its requests by status and its duration histogram. */
interface RouteSeries {
  readonly labels: { readonly method: string; readonly route: string };
  /** Requests by the status their client was sent. */
  readonly statuses: Map<number, number>;
  /** Observations per bucket (not cumulative); the last slot is above the largest bound. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

/** A sample as prom-client's registry prints one (registry.js getMetricsAsString). */
interface Value {
  labels: Record<string, string>;
  value: number;
  metricName?: string;
  /** Printed after `labels` and the registry's default labels, as prom-client's histogram does. */
  sharedLabels?: Record<string, string>;
}

/**
 * The HTTP request counter and duration histogram, kept as plain numbers per (method, route)
 * and turned into Prometheus series only when scraped. prom-client's own Counter and Histogram
 * check and hash the label object on every call, which cost 2–5 µs a request
 * (npm run bench -- api); here a request costs two Map lookups and a few additions. The series
 * are the ones prom-client's types would export (same names, labels, buckets, `_sum`/`_count`).
 * Labels are route patterns and methods, never raw paths (which may hold ids).
 */
export class HttpMetrics {
  /** method → route pattern → series: both keys are strings Hono already holds. */
  readonly #series = new Map<string, Map<string, RouteSeries>>();
  readonly #bounds: readonly number[];

  constructor(
    registry: Registry,
    names: { requests: string; duration: string },
    help: { requests: string; duration: string },
    bounds: readonly number[],
  ) {
    this.#bounds = [...bounds].sort((a, b) => a - b);
    const reset = () => this.reset();
    const requests = exported(names.requests, help.requests, 'counter', reset, () =>
      this.#requestValues(),
    );
    const duration = exported(names.duration, help.duration, 'histogram', reset, () =>
      this.#durationValues(names.duration),
    );
    registry.registerMetric(requests);
    registry.registerMetric(duration);
  }

  /** Counts one answered request: its method, matched route pattern, status and duration. */
  record(method: string, route: string, status: number, seconds: number): void {
    let byRoute = this.#series.get(method);
    if (byRoute === undefined) {
      byRoute = new Map();
      this.#series.set(method, byRoute);
    }
    let series = byRoute.get(route);
    if (series === undefined) {
      series = {
        labels: { method, route },
        statuses: new Map(),
        buckets: new Array<number>(this.#bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      byRoute.set(route, series);
    }
    series.statuses.set(status, (series.statuses.get(status) ?? 0) + 1);
    const bounds = this.#bounds;
    let slot = 0;
    while (slot < bounds.length && seconds > bounds[slot]!) slot++;
    series.buckets[slot]! += 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** Forgets every count (prom-client's `registry.resetMetrics()`). */
  reset(): void {
    this.#series.clear();
  }

  *#all(): Iterable<RouteSeries> {
    for (const byRoute of this.#series.values()) yield* byRoute.values();
  }

  #requestValues(): Value[] {
    const values: Value[] = [];
    for (const series of this.#all()) {
      for (const [status, count] of series.statuses) {
        values.push({ labels: { ...series.labels, status: String(status) }, value: count });
      }
    }
    return values;
  }

  #durationValues(name: string): Value[] {
    const values: Value[] = [];
    for (const series of this.#all()) {
      const shared = { ...series.labels };
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.buckets[i]!;
        values.push({
          labels: { le: String(bound) },
          sharedLabels: shared,
          value: cumulative,
          metricName: `${name}_bucket`,
        });
      });
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: shared,
          value: series.count,
          metricName: `${name}_bucket`,
        },
        { labels: {}, sharedLabels: shared, value: series.sum, metricName: `${name}_sum` },
        { labels: {}, sharedLabels: shared, value: series.count, metricName: `${name}_count` },
      );
    }
    return values;
  }
}

/**
 * A metric as prom-client's registry reads one (registry.js: `name`, `type`, `aggregator`,
 * `getForPromString` for the text exposition with the shared labels apart, `get` for JSON,
 * `reset`); prom-client's `Metric` type names only its own classes, hence the cast.
 */
function exported(
  name: string,
  help: string,
  type: 'counter' | 'histogram',
  reset: () => void,
  values: () => Value[],
): Metric {
  const snapshot = (samples: Value[]) => ({ name, help, type, values: samples, aggregator: 'sum' });
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    getForPromString: () => Promise.resolve(snapshot(values())),
    get: () =>
      Promise.resolve(
        snapshot(
          values().map(({ sharedLabels, labels, ...rest }) => ({
            ...rest,
            labels: { ...labels, ...sharedLabels },
          })),
        ),
      ),
    reset,
  };
  return metric as unknown as Metric;
}
