/**
 * `GET /api/events`: the live event feed (Server-Sent Events) over the store's `$all` subscription,
 * filtered by category and type, resumable from `Last-Event-ID` or `?from=`. At most `maxClients`
 * clients at once; the rest get 503 and retry. Feeds end when the client goes or the server closes.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { SubscriptionStart } from '../../../adapters/eventstore/event-store.ts';
import { ApiError } from '../../problem.ts';
import { type Feed, startFeed } from './feed.ts';
import { feedFilter } from './filter.ts';
import { feedSchema } from './schemas.ts';

export interface EventsRouteOptions {
  /** Concurrent feed clients allowed. Defaults to 100. */
  readonly maxClients?: number;
  /** Milliseconds between heartbeat comments. Defaults to 15 000. */
  readonly heartbeatMs?: number;
}

function startOf(lastEventId: string | undefined, from: string | undefined): SubscriptionStart {
  const where = lastEventId ?? from ?? 'end';
  return where === 'start' || where === 'end' ? where : Number(where);
}

/** The feed's headers: no cache or proxy may hold events back. */
function asEventStream(reply: FastifyReply): FastifyReply {
  return (
    reply
      .header('cache-control', 'no-cache, no-transform')
      .header('x-accel-buffering', 'no')
      // A feed ended by the server (shutdown) must not leave a keep-alive socket behind for close() to wait on.
      .header('connection', 'close')
      .type('text/event-stream; charset=utf-8')
  );
}

const events: FastifyPluginAsyncTypebox<EventsRouteOptions> = async (fastify, options) => {
  const maxClients = options.maxClients ?? 100;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const feeds = new Set<Feed>();
  // Counted before the subscription is confirmed, so simultaneous connects cannot overshoot the bound.
  let clients = 0;

  // Open feeds would keep `close()` waiting on their connections forever.
  fastify.addHook('preClose', async () => {
    for (const feed of feeds) feed.close();
    await Promise.all([...feeds].map((feed) => feed.done));
  });

  fastify.get('/api/events', { schema: feedSchema }, async (request, reply) => {
    const filter = feedFilter(request.query);
    const from = startOf(request.headers['last-event-id'], request.query.from);
    // Before the bound is checked: between that check and the count below nothing may wait.
    if (typeof from === 'number')
      await refuseBeyondHead(from, request.headers['last-event-id'] !== undefined);
    if (clients >= maxClients) {
      throw new ApiError(
        'TALLY_API_TOO_MANY_CLIENTS',
        `${maxClients} clients already follow the live feed; retry shortly`,
      );
    }
    // HEAD asks for the headers alone: a feed opened for it would have nobody to notice it end.
    if (request.method === 'HEAD') return asEventStream(reply).send();
    clients += 1;
    let feed: Feed;
    try {
      const subscription = fastify.eventStore.subscribeToAll({
        from,
        ...(filter.store ? { filter: filter.store } : {}),
      });
      await subscription.started().catch(async (error: unknown) => {
        await subscription.cancel();
        throw error;
      });
      feed = startFeed({ subscription, filter, heartbeatMs, log: request.log });
    } catch (error) {
      clients -= 1;
      throw error;
    }
    feeds.add(feed);
    fastify.metrics.liveClients.inc();
    request.log.info({ from, filter: filter.store }, 'live feed client connected');
    void feed.done.finally(() => {
      clients -= 1;
      feeds.delete(feed);
      fastify.metrics.liveClients.dec();
      request.log.info('live feed client gone');
    });
    // A stream body: the type provider only knows the serialised schemas; the 200 schema documents it.
    return asEventStream(reply).send(feed.body as never);
  });

  /**
   * A feed resumed after a position the store has not reached would stay silent until it does, then
   * skip every event up to it: refused, as `at=` beyond the head is.
   */
  async function refuseBeyondHead(position: number, fromHeader: boolean): Promise<void> {
    let head = -1;
    for await (const event of fastify.eventStore.readAll({ direction: 'backwards', limit: 1 }))
      head = event.position;
    if (position <= head) return;
    const [name, field] = fromHeader
      ? ['Last-Event-ID', 'headers.last-event-id']
      : ['from', 'querystring.from'];
    throw new ApiError(
      'TALLY_API_INVALID_REQUEST',
      `${name} ${position} is beyond the last event (position ${head}); resume from a position this server gave, or from start`,
      field,
    );
  }
};

export default events;
