/**
 * HttpMetrics keeps the request counter and the duration histogram as plain numbers and builds
 * the series at a scrape: what it exposes must be what prom-client's Counter and Histogram
 * expose for the same requests (names, labels, cumulative buckets, sum, count).
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HttpMetrics } from '../../../server/metrics/index.js';
import { seedFromEnv, seededRandom } from '../../support/random.js';

const NAMES = { requests: 'x_http_requests_total', duration: 'x_http_request_duration_seconds' };
const HELP = { requests: 'requests', duration: 'duration' };
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The exposition's sample lines, sorted, each with its labels sorted (order is not meaning). */
function samples(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([^{ ]+)(?:\{(.*)\})? (.+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = (match[2] ?? '')
        .split(/,(?=[a-z_]+=)/)
        .filter(Boolean)
        .sort();
      return `${match[1]}{${labels.join(',')}} ${Number(match[3])}`;
    })
    .sort();
}

describe('HttpMetrics', () => {
  it('exposes what prom-client’s Counter and Histogram expose for the same requests', async () => {
    const seed = seedFromEnv('HTTP_METRICS_SEED');
    console.log(`HTTP_METRICS_SEED=${seed}`);
    const random = seededRandom(seed);
    const ours = new Registry();
    ours.setDefaultLabels({ app: 'verikiosk' });
    const http = new HttpMetrics(ours, NAMES, HELP, BUCKETS);
    const theirs = new Registry();
    theirs.setDefaultLabels({ app: 'verikiosk' });
    const counter = new Counter({
      name: NAMES.requests,
      help: HELP.requests,
      labelNames: ['method', 'route', 'status'],
      registers: [theirs],
    });
    const histogram = new Histogram({
      name: NAMES.duration,
      help: HELP.duration,
      labelNames: ['method', 'route'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const methods = ['GET', 'POST', 'DELETE'];
    const routes = ['/api/v1/api-keys/:id', '/api/v1/health', 'unmatched'];
    const statuses = [200, 201, 404, 413, 429, 500];
    // Durations on the bucket bounds too: `le` is inclusive.
    const durations = [...BUCKETS, 0, 0.0001, 0.03, 7];
    for (let i = 0; i < 2000; i++) {
      const method = methods[Math.floor(random() * methods.length)]!;
      const route = routes[Math.floor(random() * routes.length)]!;
      const status = statuses[Math.floor(random() * statuses.length)]!;
      const seconds = durations[Math.floor(random() * durations.length)]!;
      http.record(method, route, status, seconds);
      counter.inc({ method, route, status: String(status) });
      histogram.observe({ method, route }, seconds);
    }
    const expected = samples(await theirs.metrics());
    expect(samples(await ours.metrics())).toEqual(expected);
    expect(expected.length).toBeGreaterThan(100);
    // The JSON form carries the same samples, labels merged.
    const json = await ours.getMetricsAsJSON();
    const count = json
      .find((m) => m.name === NAMES.duration)!
      .values.find((v) => (v as { metricName?: string }).metricName === `${NAMES.duration}_count`);
    expect(Object.keys(count!.labels).sort()).toEqual(['app', 'method', 'route']);

    ours.resetMetrics();
    expect(samples(await ours.metrics())).toEqual([]);
  });
});
