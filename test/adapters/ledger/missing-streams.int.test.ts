/**
 * Reads of streams that do not exist, many over one client, made the way the farm makes them: every
 * new aggregate's first command reads its stream, and the event-store adapter cancels each read once
 * it is done with it. The ledger's HTTP/2 server once closed the client's whole session after about a
 * thousand of these (its rapid-reset guard counted the client's cancels; see adapters/ledger/grpc/read.ts),
 * failing every call on it. The counts below are well past that guard's 1,000 resets plus 33 a second.
 */
import { type EventStoreDBClient, jsonEvent, StreamNotFoundError } from '@eventstore/db-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { collect, withTimeout } from '../../helpers/uvu.ts';

const sequentialReads = 2_000;
const concurrentReads = 3_000;
const lanes = 200;

/** One read of a missing stream, cancelled afterwards as `esdb-event-store.ts` does; what it ended with. */
async function readMissing(client: EventStoreDBClient, streamName: string): Promise<unknown> {
  const read = client.readStream(streamName);
  try {
    for await (const _ of read) return new Error(`${streamName} returned an event`);
    return new Error(`${streamName} ended without an answer`);
  } catch (error) {
    return error;
  } finally {
    await read.cancel();
  }
}

/** Asserts that every outcome is the StreamNotFoundError of its own stream, naming how many were not. */
function assertAllNotFound(outcomes: ReadonlyArray<{ name: string; outcome: unknown }>) {
  const wrong = outcomes.filter(
    ({ name, outcome }) => !(outcome instanceof StreamNotFoundError && outcome.streamName === name),
  );
  assert.is(
    wrong.length,
    0,
    `${wrong.length} of ${outcomes.length} reads did not answer StreamNotFoundError; first: ${String(wrong[0]?.outcome)}`,
  );
}

async function assertClientStillWorks(client: EventStoreDBClient, streamName: string) {
  await client.appendToStream(streamName, jsonEvent({ type: 'Checked', data: { ok: true } }));
  const events = await collect(client.readStream(streamName));
  assert.equal(
    events.map((e) => e.event?.data),
    [{ ok: true }],
  );
}

function missingStreamsSuite(name: string, start: () => Promise<TestLedger>) {
  const test = suite<{ ledger: TestLedger }>(`reads of missing streams (${name})`);
  test.before(async (context) => {
    context.ledger = await start();
  });
  test.after(async (context) => {
    await context.ledger.stop();
  });

  test(
    `answers ${sequentialReads} sequential reads of missing streams, each not found, and the client keeps working`,
    withTimeout(90_000, async ({ ledger }) => {
      const outcomes = [];
      for (let n = 0; n < sequentialReads; n++) {
        const streamName = `missing-seq-${n}`;
        outcomes.push({ name: streamName, outcome: await readMissing(ledger.client, streamName) });
      }
      assertAllNotFound(outcomes);
      await assertClientStillWorks(ledger.client, 'after-sequential');
    }),
  );

  test(
    `answers ${concurrentReads} reads of missing streams over ${lanes} concurrent lanes, and the client keeps working`,
    withTimeout(90_000, async ({ ledger }) => {
      const outcomes: Array<{ name: string; outcome: unknown }> = [];
      let next = 0;
      const lane = async () => {
        while (next < concurrentReads) {
          const streamName = `missing-lane-${next++}`;
          outcomes.push({ name: streamName, outcome: await readMissing(ledger.client, streamName) });
        }
      };
      await Promise.all(Array.from({ length: lanes }, lane));
      assert.is(outcomes.length, concurrentReads);
      assertAllNotFound(outcomes);
      await assertClientStillWorks(ledger.client, 'after-concurrent');
    }),
  );

  test(
    'answers a missing stream whose name cannot travel in a trailer (not ASCII) as not found too',
    withTimeout(5000, async ({ ledger }) => {
      const streamName = 'missing-ünïcode-名前';
      assertAllNotFound([{ name: streamName, outcome: await readMissing(ledger.client, streamName) }]);
      await assertClientStillWorks(ledger.client, 'after-unicode');
    }),
  );

  return test;
}

missingStreamsSuite('memory', () => startTestLedger({ memory: true })).run();
missingStreamsSuite('file', () => startTestLedger()).run();
