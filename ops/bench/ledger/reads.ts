/**
 * The read workloads through the official client: `$all` in pages with `readAll`, and one catch-up
 * subscription to `$all`, both from the start, both bounded in time.
 */
import {
  BACKWARDS,
  END,
  type EventStoreDBClient,
  FORWARDS,
  type Position,
  START,
} from '@eventstore/db-client';
import { fullRead } from './workloads.ts';

export interface ReadResult {
  readonly events: number;
  readonly seconds: number;
  /** False when the time limit stopped it before the end of `$all`. */
  readonly complete: boolean;
}

/** The position of the last event in `$all` (what a reader from the start must reach). */
export async function headPosition(client: EventStoreDBClient): Promise<Position> {
  for await (const resolved of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
    if (resolved.event) return resolved.event.position;
  }
  throw new Error('$all is empty');
}

/**
 * Workload 3: `$all` from the start in pages of `fullRead.pageSize`. A page starts at the previous
 * page's last position, which `readAll` includes again, so that first event is skipped.
 */
export async function readAllInPages(client: EventStoreDBClient): Promise<ReadResult> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  let from: Position | typeof START = START;
  let events = 0;
  for (;;) {
    let pageEvents = 0;
    let last: Position | undefined;
    for await (const resolved of client.readAll({
      fromPosition: from,
      maxCount: fullRead.pageSize,
      direction: FORWARDS,
    })) {
      pageEvents++;
      last = resolved.event?.position ?? last;
    }
    events += from === START ? pageEvents : Math.max(0, pageEvents - 1);
    if (pageEvents < fullRead.pageSize || !last) return { events, seconds: elapsed() / 1000, complete: true };
    if (elapsed() > fullRead.timeLimitMs) return { events, seconds: elapsed() / 1000, complete: false };
    from = last;
  }
}

/** Workload 4: one catch-up subscription to `$all` from the start, until it delivers `head`. */
export async function subscribeToAllUntil(client: EventStoreDBClient, head: Position): Promise<ReadResult> {
  const started = performance.now();
  const subscription = client.subscribeToAll({ fromPosition: START });
  let events = 0;
  let complete = false;
  const deadline = setTimeout(() => void subscription.unsubscribe(), fullRead.timeLimitMs);
  try {
    for await (const resolved of subscription) {
      events++;
      if ((resolved.event?.position.commit ?? -1n) >= head.commit) {
        complete = true;
        break;
      }
    }
  } finally {
    clearTimeout(deadline);
    await subscription.unsubscribe();
  }
  return { events, seconds: (performance.now() - started) / 1000, complete };
}
