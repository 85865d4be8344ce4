/**
 * Prometheus metrics in a registry of this app's own (no global state): HTTP request durations and
 * counts by route and status, event-store call latency (the store is wrapped by
 * `timeEventStore`), projection lag and the queue's sizes when a runner is given, live-feed clients, and
 * Node's defaults.
 * Served at `GET /metrics`.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsState } from '../../projections/metrics/index.ts';
import { prometheusFamilies } from '../../projections/metrics/prometheus.ts';
import { initialMetricsState } from '../../projections/metrics/state.ts';
import { type QueueState, queueSizes } from '../../projections/queue/index.ts';
import type { ProjectionRunner } from '../../projections/runtime/runner.ts';
import { type WorkersState, workersBySystem } from '../../projections/workers/index.ts';

/** The metrics routes and services update. */
export interface ApiMetrics {
  readonly registry: Registry;
  readonly eventStoreCalls: Histogram<'operation' | 'outcome'>;
  readonly liveClients: Gauge;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ApiMetrics;
  }
}

export interface MetricsOptions {
  readonly projections?: ProjectionRunner | undefined;
  /** Also collect Node's process metrics (CPU, memory, event loop). Defaults to true. */
  readonly processMetrics?: boolean;
}

function projectionMetrics(registry: Registry, runner: ProjectionRunner): void {
  const lag = async () => runner.lag();
  new Gauge({
    name: 'tally_projection_behind_seconds',
    help: 'How long ago the last event the projections applied was recorded, 0 when caught up',
    registers: [registry],
    async collect() {
      this.set((await lag()).behindMs / 1000);
    },
  });
  new Gauge({
    name: 'tally_projection_caught_up',
    help: '1 when the projections have applied the last event in the store',
    registers: [registry],
    async collect() {
      this.set((await lag()).caughtUp ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tally_projection_behind',
    help: '1 for each read model short of the last event in the store (rebuilding, or catching up)',
    labelNames: ['projection'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const projection of (await lag()).behind) this.set({ projection }, 1);
    },
  });
  new Gauge({
    name: 'tally_projection_skipped_events',
    help: 'Events the projections could not read and skipped',
    registers: [registry],
    collect() {
      this.set(runner.skipped.count);
    },
  });
}

/** The metrics read model's families as gauges, set from the live state at each scrape. */
function readModelMetrics(registry: Registry, runner: ProjectionRunner): void {
  const labelNames = ['outcome', 'stat', 'quantile', 'spec'];
  for (const { name, help } of prometheusFamilies(initialMetricsState)) {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        let state: MetricsState;
        try {
          state = runner.state<MetricsState>('metrics');
        } catch {
          return; // a runner without the metrics read model
        }
        this.reset();
        const family = prometheusFamilies(state).find((candidate) => candidate.name === name);
        for (const sample of family?.samples ?? []) this.set({ ...sample.labels }, sample.value);
      },
    });
  }
}

/**
 * Builds waiting for a worker by system and state, read from the queue read model at each scrape (its
 * lanes know their sizes, so a scrape costs the number of lanes, not of builds). `tally_queue_length`,
 * from the metrics read model, is their sum; its hourly history is in `/api/metrics`.
 */
function queueMetrics(registry: Registry, runner: ProjectionRunner): void {
  new Gauge({
    name: 'tally_queue_builds',
    help: 'Builds waiting for a worker, by system and state: runnable, deferred (requeued, not before a time still to come) or blocked (waiting on a dependency)',
    labelNames: ['system', 'state'] as const,
    registers: [registry],
    collect() {
      let state: QueueState;
      try {
        state = runner.state<QueueState>('queue');
      } catch {
        return; // a runner without the queue read model, or one still loading its snapshot
      }
      this.reset();
      // The wall clock, not the latest event's time: on a quiet farm a requeued build's wait ends
      // without any event saying so.
      for (const { system, runnable, deferred, blocked } of queueSizes(state, { now: Date.now() })) {
        this.set({ system, state: 'runnable' }, runnable);
        this.set({ system, state: 'deferred' }, deferred);
        this.set({ system, state: 'blocked' }, blocked);
      }
    },
  });
  new Gauge({
    name: 'tally_queue_workers',
    help: 'Workers that could take a build now (connected, neither drained nor removed), for each system with builds waiting: 0 means they wait for a worker of that system to connect',
    labelNames: ['system'] as const,
    registers: [registry],
    collect() {
      let queue: QueueState;
      let workers: WorkersState;
      try {
        queue = runner.state<QueueState>('queue');
        workers = runner.state<WorkersState>('workers');
      } catch {
        return;
      }
      this.reset();
      const served = workersBySystem(workers);
      for (const { system } of queueSizes(queue, { now: Date.now() }))
        this.set({ system }, served.get(system) ?? 0);
    },
  });
}

async function metrics(fastify: FastifyInstance, options: MetricsOptions): Promise<void> {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const durations = new Histogram({
    name: 'tally_http_request_duration_seconds',
    help: 'HTTP request durations by method, route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'tally_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const eventStoreCalls = new Histogram({
    name: 'tally_eventstore_call_duration_seconds',
    help: 'Event-store calls by operation and outcome (ok or the error code)',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const liveClients = new Gauge({
    name: 'tally_live_feed_clients',
    help: 'Clients following the live event feed',
    registers: [registry],
  });
  if (options.projections) projectionMetrics(registry, options.projections);
  if (options.projections) readModelMetrics(registry, options.projections);
  if (options.projections) queueMetrics(registry, options.projections);
  fastify.decorate('metrics', { registry, eventStoreCalls, liveClients });

  fastify.addHook('onResponse', async (request, reply) => {
    // Unmatched URLs share one label so scanners cannot blow up the series count.
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    durations.observe(labels, reply.elapsedTime / 1000);
    requests.inc(labels);
  });

  fastify.get('/metrics', { schema: { hide: true }, config: { public: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

export default fp(metrics, { name: 'tally-metrics', fastify: '5.x' });
