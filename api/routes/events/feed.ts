/**
 * One client's live feed: follows the store's `$all` subscription and writes each matching event as a
 * Server-Sent Event (`id: <position>`, `event: <type>`, `data: <json>`). Checkpoints become bare
 * `id:` lines, which move the browser's Last-Event-ID past filtered-out events without dispatching
 * anything. A comment every `heartbeatMs` keeps proxies from closing an idle connection. Writes wait
 * for the socket to drain, so a slow client slows its own subscription instead of filling memory.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { Subscription } from '../../../adapters/eventstore/event-store.ts';
import { eventView } from '../../streams.ts';
import type { FeedFilter } from './filter.ts';

export interface Feed {
  /** What Fastify sends as the response body. */
  readonly body: PassThrough;
  /** Ends the feed (server shutdown); the client may reconnect with its Last-Event-ID. */
  close(): void;
  /** Settles once the feed has ended and its subscription is cancelled. */
  readonly done: Promise<void>;
}

export interface FeedOptions {
  readonly subscription: Subscription;
  readonly filter: FeedFilter;
  readonly heartbeatMs: number;
  readonly log: FastifyBaseLogger;
}

/** SSE `data:` lines: JSON has no raw newlines, but a U+2028 could confuse lax parsers; escape it anyway. */
const dataLine = (value: unknown) =>
  `data: ${JSON.stringify(value).replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029')}\n`;

/** Starts a feed on a confirmed subscription. */
export function startFeed({ subscription, filter, heartbeatMs, log }: FeedOptions): Feed {
  const body = new PassThrough();
  let lastId = -1;
  let ended = false;

  async function write(text: string): Promise<void> {
    if (ended) return;
    if (!body.write(text)) await Promise.race([once(body, 'drain'), once(body, 'close')]);
  }

  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    void subscription.cancel();
  };
  const heartbeat = setInterval(() => void write(': heartbeat\n\n'), heartbeatMs);
  heartbeat.unref();
  body.once('close', end);

  const done = (async () => {
    await write('retry: 2000\n: connected\n\n');
    try {
      for await (const message of subscription) {
        if (ended) break;
        if (message.kind === 'checkpoint') {
          if (message.position > lastId) {
            lastId = message.position;
            await write(`id: ${lastId}\n\n`);
          }
          continue;
        }
        const { event } = message;
        if (event.position <= lastId || !filter.accepts(event)) continue;
        lastId = event.position;
        await write(`id: ${event.position}\nevent: ${event.type}\n${dataLine(eventView(event))}\n`);
      }
    } catch (error) {
      log.warn({ err: error }, 'live feed subscription failed; the client will reconnect');
    } finally {
      end();
      body.end();
    }
  })();

  return {
    body,
    close() {
      end();
      body.end();
    },
    done,
  };
}
