/**
 * How long an appended event takes to reach a client of the live feed (`GET /api/events`, real HTTP),
 * beside how long the same append takes to reach a direct `$all` subscription of the event-store
 * client: the difference is what the API adds (its own subscription, filtering, SSE framing, the
 * socket). Events are appended one at a time, each once both readers have the previous one, so every
 * latency is that of one event on a quiet feed rather than of a queue. The first `warmUp` events are
 * not recorded, as the route rows' first run is not: they warm the route up (JIT, the first events
 * of a new subscription), as on a server that has been up for a while.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { EventStore, Subscription } from '../../../adapters/eventstore/event-store.ts';
import { eventRegistry } from '../../../domain/events.ts';
import { streams } from '../../../domain/shared/streams.ts';
import { type LatencySummary, summarize } from '../harness/load.ts';
import { withTimeout } from '../harness/timeout.ts';

export interface LiveFeedLatency {
  /** Append called → the event's SSE message read by the HTTP client. */
  readonly feed: LatencySummary;
  /** Append called → the event delivered to the client's own subscription. */
  readonly subscription: LatencySummary;
}

/** Resolves, per event id, when a reader sees that event; readers call `seen`. */
function arrivals() {
  const waiting = new Map<string, (at: number) => void>();
  const early = new Map<string, number>();
  return {
    seen(id: string, at: number) {
      const resolve = waiting.get(id);
      if (resolve) {
        waiting.delete(id);
        resolve(at);
      } else early.set(id, at);
    },
    when(id: string): Promise<number> {
      const at = early.get(id);
      if (at !== undefined) {
        early.delete(id);
        return Promise.resolve(at);
      }
      return new Promise((resolve) => waiting.set(id, resolve));
    },
  };
}

/**
 * Follows the SSE feed at `url`, calling `onEvent(id)` for each event's id; resolves once the server
 * says the feed is connected (its subscription confirmed), with a function that ends the feed.
 */
function followFeed(url: string, onEvent: (id: string, at: number) => void): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const feed = request(url, { headers: { accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`${url} answered ${response.statusCode}`));
        response.resume();
        return;
      }
      response.setEncoding('utf8');
      let buffered = '';
      response.on('data', (chunk: string) => {
        const at = performance.now();
        buffered += chunk;
        let end = buffered.indexOf('\n\n');
        while (end >= 0) {
          const message = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          end = buffered.indexOf('\n\n');
          if (message.includes(': connected')) resolve(() => feed.destroy());
          const data = message.split('\n').find((line) => line.startsWith('data: '));
          if (data) onEvent((JSON.parse(data.slice('data: '.length)) as { id: string }).id, at);
        }
      });
    });
    feed.on('error', reject);
    feed.end();
  });
}

async function followSubscription(subscription: Subscription, onEvent: (id: string, at: number) => void) {
  for await (const message of subscription) {
    if (message.kind === 'event') onEvent(message.event.id, performance.now());
  }
}

/** Appends `warmUp` + `count` worker events one by one and times the last `count` at both readers. */
export async function measureLiveFeed(
  url: string,
  store: EventStore,
  count: number,
  warmUp = 100,
): Promise<LiveFeedLatency> {
  const worker = 'bench-feed';
  const viaFeed = arrivals();
  const viaSubscription = arrivals();
  const closeFeed = await withTimeout(
    followFeed(`${url}/api/events?category=worker`, viaFeed.seen),
    10_000,
    'the live feed connecting',
  );
  const subscription = store.subscribeToAll({ from: 'end', filter: { streamPrefixes: ['worker-'] } });
  await subscription.started();
  const following = followSubscription(subscription, viaSubscription.seen);
  const feed: number[] = [];
  const direct: number[] = [];
  try {
    for (let n = 0; n < warmUp + count; n++) {
      const id = randomUUID();
      const type = n % 2 === 0 ? 'WorkerConnected' : 'WorkerDisconnected';
      const metadata = {
        schemaVersion: eventRegistry[type].schemaVersion,
        correlationId: `bench-feed-${n}`,
        causationId: `bench-feed-${n}`,
        actor: `worker:${worker}`,
        at: new Date().toISOString(),
      };
      const appended = performance.now();
      await store.append(streams.worker(worker), [{ id, type, data: { name: worker }, metadata }], 'any');
      const [fed, delivered] = await withTimeout(
        Promise.all([viaFeed.when(id), viaSubscription.when(id)]),
        10_000,
        `event ${n} reaching the live feed and the subscription`,
      );
      if (n < warmUp) continue;
      feed.push(fed - appended);
      direct.push(delivered - appended);
    }
  } finally {
    closeFeed();
    await subscription.cancel();
    await following.catch(() => undefined);
  }
  return { feed: summarize(feed), subscription: summarize(direct) };
}
