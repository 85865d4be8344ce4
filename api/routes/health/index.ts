/**
 * `GET /healthz`, for load balancers and service managers: 503 when the event store does not answer
 * within `timeoutMs`, else 200 with the projections' lag ("degraded" past `maxLagMs`, "starting" while
 * read models still load their snapshots: until then the lag is that of a projection at nothing).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import type { Health } from './schemas.ts';
import { healthSchema } from './schemas.ts';

export interface HealthRouteOptions {
  /** How long the event store may take to answer. Defaults to 2000 ms. */
  readonly timeoutMs?: number;
  /** Lag past which the server reports itself degraded. Defaults to 60 000 ms. */
  readonly maxLagMs?: number;
}

/** Reads the last event of `$all`: cheap, and proves the store answers reads. */
async function probe(store: EventStore, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const read = (async () => {
    for await (const _ of store.readAll({ direction: 'backwards', limit: 1 })) break;
    return true;
  })().catch(() => false);
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const health: FastifyPluginAsyncTypebox<HealthRouteOptions> = async (fastify, options) => {
  const timeoutMs = options.timeoutMs ?? 2000;
  const maxLagMs = options.maxLagMs ?? 60_000;

  fastify.get('/healthz', { schema: healthSchema, config: { public: true } }, async (request, reply) => {
    const started = performance.now();
    const reachable = await probe(fastify.eventStore, timeoutMs);
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const runner = fastify.projections;
    const lag = reachable && runner ? await runner.lag().catch(() => undefined) : undefined;
    const loading = [...(runner?.loading() ?? [])];
    const projections =
      runner && lag
        ? { ...lag, behind: [...lag.behind], skippedEvents: runner.skipped.count, loading }
        : null;
    const status = !reachable
      ? 'unavailable'
      : loading.length > 0
        ? 'starting'
        : lag && lag.behindMs > maxLagMs
          ? 'degraded'
          : 'ok';
    if (!reachable) request.log.warn({ latencyMs }, 'health check: the event store does not answer');
    const body: Health = { status, eventStore: { reachable, latencyMs }, projections };
    return reply.status(reachable ? 200 : 503).send(body);
  });
};

export default health;
