/**
 * `GET /api/history/:category/:id`: the raw events of the stream `<category>-<id>`, paged by revision,
 * for auditors and for debugging the read models.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { ApiError } from '../../problem.ts';
import { eventView } from '../../streams.ts';
import { type HistoryPage, historySchema } from './schemas.ts';

async function streamExists(store: EventStore, stream: string): Promise<boolean> {
  for await (const _ of store.readStream(stream, { direction: 'backwards', limit: 1 })) return true;
  return false;
}

const history: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/history/:category/:id', { schema: historySchema }, async (request) => {
    const { category, id } = request.params;
    const { from, limit, direction } = request.query;
    const stream = `${category}-${id}`;
    const events = [];
    // One more than asked tells whether there is a next page, and where it starts.
    for await (const event of fastify.eventStore.readStream(stream, {
      direction,
      limit: limit + 1,
      ...(from !== undefined ? { fromRevision: from } : {}),
    })) {
      events.push(event);
    }
    if (events.length === 0 && !(await streamExists(fastify.eventStore, stream))) {
      const key =
        category === 'build' ? "its derivation's hash part (32 characters)" : 'its id as the API lists it';
      throw new ApiError(
        'TALLY_API_STREAM_NOT_FOUND',
        `${stream} has no events: name the aggregate by ${key}`,
      );
    }
    const next = events.length > limit ? events[limit]!.revision : null;
    const page: HistoryPage = { stream, direction, events: events.slice(0, limit).map(eventView), next };
    return page;
  });
};

export default history;
