/**
 * Catch-up subscriptions to a stream or to `$all`. A subscription reads the log from where the client
 * stands until it has seen every durable event, then goes live on the core's commit notifications.
 *
 * The seam between the two is where events get lost or repeated, so it is built with care: the read
 * that comes back empty and the registration of the live listener happen in one synchronous step (no
 * commit can slip between them), and every delivery moves a cursor (`after`) that drops anything at
 * or before it, so an event both read and notified is sent once.
 *
 * A subscriber too slow for the live rate is not allowed to hold memory or writers hostage: when its
 * live queue passes a bound it is told it fell behind and goes back to reading the log.
 */
import { randomUUID } from 'node:crypto';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { LedgerRefusalError } from '../core/errors.ts';
import { type LedgerCore, tombstoneEventType } from '../core/ledger-core.ts';
import type { LogRecord } from '../storage/storage.ts';
import { fastEventResponse } from './event-encoding.ts';
import { type ReadReq, type ReadResp, streamsPb } from './proto.ts';
import type { ReadRequest } from './read-options.ts';
import { send } from './write-with-backpressure.ts';

const catchUpPage = 512;
const liveQueueLimit = 8192;

type Cursor = { kind: 'all'; after: number } | { kind: 'stream'; streamId: string; after: number };

function startingCursor(core: LedgerCore, request: ReadRequest): Cursor {
  const source = request.source;
  if (source.kind === 'all') {
    const after =
      source.from === 'start' ? -1 : source.from === 'end' ? core.storage.headPosition() - 1 : source.from;
    return { kind: 'all', after };
  }
  const durableLast = (core.storage.streamPositions(source.streamId)?.length ?? 0) - 1;
  const after = source.from === 'start' ? -1 : source.from === 'end' ? durableLast : source.from;
  return { kind: 'stream', streamId: source.streamId, after };
}

export async function runSubscription(
  core: LedgerCore,
  call: ServerWritableStream<ReadReq, ReadResp>,
  request: ReadRequest,
  logger: Logger,
): Promise<void> {
  const cursor = startingCursor(core, request);
  let sinceCheckpoint = 0;
  let lastLookedAt = -1;

  /** Whether the record is past the cursor and belongs to this subscription. */
  const isNext = (record: LogRecord) =>
    cursor.kind === 'all'
      ? record.position > cursor.after
      : record.streamId === cursor.streamId && record.revision > cursor.after;

  /** Sends one record (or only counts it, if the filter rules it out); false once the call is gone. */
  async function deliver(record: LogRecord): Promise<boolean> {
    if (!isNext(record)) return true;
    cursor.after = cursor.kind === 'all' ? record.position : record.revision;
    if (cursor.kind === 'stream' && record.type === tombstoneEventType) {
      throw new LedgerRefusalError({ kind: 'stream-deleted', streamId: cursor.streamId });
    }
    lastLookedAt = record.position;
    if (!request.filter || request.filter(record)) {
      if (!(await send(call, fastEventResponse(record, request.uuidFormat)))) return false;
    }
    if (request.filter && ++sinceCheckpoint >= request.checkpointInterval) {
      sinceCheckpoint = 0;
      const checkpoint = new streamsPb.ReadResp.Checkpoint()
        .setCommitPosition(String(lastLookedAt))
        .setPreparePosition(String(lastLookedAt));
      if (!(await send(call, new streamsPb.ReadResp().setCheckpoint(checkpoint)))) return false;
    }
    return true;
  }

  function readPage(): readonly LogRecord[] {
    if (cursor.kind === 'all') return core.storage.readForward(cursor.after + 1, catchUpPage);
    const page = core.readStream(cursor.streamId, cursor.after + 1, 'forwards', catchUpPage);
    return page.found ? page.records : [];
  }

  const closed = new Promise<'closed'>((resolve) => {
    call.once('cancelled', () => resolve('closed'));
    call.once('close', () => resolve('closed'));
  });
  const confirmation = new streamsPb.ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID());
  if (!(await send(call, new streamsPb.ReadResp().setConfirmation(confirmation)))) return;

  for (;;) {
    // Catch up from the log.
    let page = readPage();
    while (page.length > 0) {
      for (const record of page) if (!(await deliver(record))) return;
      page = readPage();
    }
    // The log held nothing more: go live in this same synchronous step.
    const live = goLive(core, isNext);
    if (!(await send(call, new streamsPb.ReadResp().setCaughtUp(new streamsPb.ReadResp.CaughtUp())))) {
      live.stop();
      return;
    }
    const outcome = await pumpLive(call, live, deliver, closed);
    live.stop();
    if (outcome === 'closed') return;
    logger.debug({ after: cursor.after }, 'subscriber fell behind; reading the log again');
    if (!(await send(call, new streamsPb.ReadResp().setFellBehind(new streamsPb.ReadResp.FellBehind()))))
      return;
  }
}

interface LiveFeed {
  readonly queue: LogRecord[];
  overflowed: boolean;
  /** Resolves when the queue has something, or the feed overflowed. */
  next(): Promise<void>;
  stop(): void;
}

function goLive(core: LedgerCore, isNext: (record: LogRecord) => boolean): LiveFeed {
  let wake: (() => void) | undefined;
  const feed: LiveFeed = {
    queue: [],
    overflowed: false,
    next: () =>
      new Promise<void>((resolve) => {
        if (feed.queue.length > 0 || feed.overflowed) resolve();
        else wake = resolve;
      }),
    stop: () => unsubscribe(),
  };
  const unsubscribe = core.onCommitted((records) => {
    if (feed.overflowed) return;
    for (const record of records) if (isNext(record)) feed.queue.push(record);
    if (feed.queue.length > liveQueueLimit) {
      feed.overflowed = true;
      feed.queue.length = 0;
      unsubscribe();
    }
    wake?.();
    wake = undefined;
  });
  return feed;
}

async function pumpLive(
  call: ServerWritableStream<ReadReq, ReadResp>,
  live: LiveFeed,
  deliver: (record: LogRecord) => Promise<boolean>,
  closed: Promise<'closed'>,
): Promise<'closed' | 'fell-behind'> {
  for (;;) {
    if (call.cancelled || call.destroyed) return 'closed';
    if (live.overflowed) return 'fell-behind';
    const record = live.queue.shift();
    if (record) {
      if (!(await deliver(record))) return 'closed';
      continue;
    }
    if ((await Promise.race([live.next().then(() => 'more' as const), closed])) === 'closed') return 'closed';
  }
}
