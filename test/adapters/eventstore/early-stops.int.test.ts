/**
 * Reads stopped early by their consumer, many over one connection, made the way the farm makes them
 * (the newest event of a stream with `limit: 1`, the first page of a history): a cancel is an HTTP/2
 * RST_STREAM, and Node's server closes the whole session past a burst of 1,000 of them plus 33 a
 * second, failing every call on it. The adapter drains a read that got every event it asked for
 * with few events still to come instead of cancelling it; one with many is cancelled and must not hang.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { withTimeout } from '../../helpers/uvu.ts';

const reads = 3_000;
const lanes = 200;
const streams = 50;

interface Context {
  ledger: TestLedger;
  events: EventStore;
}

const test = suite<Context>('reads stopped early by their consumer');

test.before(async (context) => {
  context.ledger = await startTestLedger({ memory: true });
  context.events = await connectEventStore(context.ledger.ledger.url);
  for (let n = 0; n < streams; n++) {
    const batch = Array.from({ length: 5 }, (_, i) => ({ type: 'Counted', data: { n, i } }));
    await context.events.append(`early-${n}`, batch, 'no_stream');
  }
});

test.after(async (context) => {
  await context.events.close();
  await context.ledger.stop();
});

/** Runs `read` `reads` times over `lanes` lanes; the failures it threw. */
async function inLanes(read: (n: number) => Promise<void>): Promise<unknown[]> {
  const failures: unknown[] = [];
  let next = 0;
  const lane = async () => {
    while (next < reads) {
      const n = next++;
      await read(n).catch((error) => failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return failures;
}

test(
  `answers ${reads} reads of the newest event (limit 1) over ${lanes} lanes, none failing`,
  withTimeout(120_000, async ({ events }) => {
    const failures = await inLanes(async (n) => {
      for await (const event of events.readStream(`early-${n % streams}`, {
        direction: 'backwards',
        limit: 1,
      })) {
        assert.equal(event.data, { n: n % streams, i: 4 });
        break;
      }
    });
    assert.is(failures.length, 0, `${failures.length} of ${reads} failed; first: ${String(failures[0])}`);
  }),
);

test(
  `answers ${reads} reads stopped a few events before their count over ${lanes} lanes, none failing`,
  withTimeout(120_000, async ({ events }) => {
    const failures = await inLanes(async (n) => {
      for await (const event of events.readStream(`early-${n % streams}`, { limit: 3 })) {
        assert.equal(event.data, { n: n % streams, i: 0 });
        break;
      }
    });
    assert.is(failures.length, 0, `${failures.length} of ${reads} failed; first: ${String(failures[0])}`);
  }),
);

test(
  `answers ${reads} reads of the head of $all (limit 1, backwards) over ${lanes} lanes, none failing`,
  withTimeout(120_000, async ({ events }) => {
    let head = -1;
    for await (const event of events.readAll({ direction: 'backwards', limit: 1 })) head = event.position;
    const failures = await inLanes(async () => {
      for await (const event of events.readAll({ direction: 'backwards', limit: 1 })) {
        assert.is(event.position, head);
        break;
      }
    });
    assert.is(failures.length, 0, `${failures.length} of ${reads} failed; first: ${String(failures[0])}`);
  }),
);

test(
  'a read without a limit stopped after its first event is cancelled at once, and the store still answers',
  withTimeout(20_000, async ({ events }) => {
    for (let n = 0; n < 20; n++) {
      for await (const event of events.readAll()) {
        assert.ok(event.position >= 0);
        break;
      }
    }
    let count = 0;
    for await (const _ of events.readStream('early-0')) count += 1;
    assert.is(count, 5);
  }),
);

test.run();
