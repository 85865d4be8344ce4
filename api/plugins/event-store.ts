/**
 * The ports routes read from: the event store (timed into the metrics) as `fastify.eventStore`, and
 * the projection runner, when there is one, as `fastify.projections`.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import type { ProjectionRunner } from '../../projections/runtime/runner.ts';
import { timeEventStore } from '../metrics/timed-event-store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    eventStore: EventStore;
    projections: ProjectionRunner | null;
  }
}

export interface EventStorePluginOptions {
  readonly eventStore: EventStore;
  readonly projections?: ProjectionRunner | undefined;
}

async function eventStore(fastify: FastifyInstance, options: EventStorePluginOptions): Promise<void> {
  fastify.decorate('eventStore', timeEventStore(options.eventStore, fastify.metrics.eventStoreCalls));
  fastify.decorate('projections', options.projections ?? null);
}

export default fp(eventStore, { name: 'tally-event-store', fastify: '5.x', dependencies: ['tally-metrics'] });
