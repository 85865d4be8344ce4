/**
 * The ledger given bad input: garbage on its port, malformed or incomplete protobuf, events it must
 * refuse, a damaged data directory, a full disk. Each gets a clear error; the ledger keeps serving
 * afterwards, and nothing it had acknowledged is lost.
 */
import { randomUUID } from 'node:crypto';
import { stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  convertToCommandError,
  type EventStoreDBClient,
  jsonEvent,
  RequiredMetadataPropertyMissingError,
  START,
  streamNameFilter,
} from '@eventstore/db-client';
import { type Client, status } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startLedger } from '../../../adapters/ledger/index.ts';
import {
  dropSnapshot,
  firstSegment,
  flipByte,
  ledgerWithBatches,
  recordSpans,
} from '../../fixtures/ledger-damage.ts';
import {
  appendRequests,
  batchAppendRequest,
  filteredRead,
  proposed,
} from '../../fixtures/ledger-requests.ts';
import {
  batchAppend,
  failedAppend,
  failedRead,
  frameType,
  http2Frame,
  http2Preface,
  parseFrames,
  rawClient,
  sendRaw,
  streamsPb,
} from '../../fixtures/raw-grpc.ts';
import { seededRandom, testSeed } from '../../fixtures/seeded-random.ts';
import { fillDisk, mountSmallDisk } from '../../fixtures/small-disk.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { rejects, tempDir, withTimeout } from '../../helpers/uvu.ts';

const seed = testSeed();
console.log(`bad input seed: ${seed} (replay with TALLY_TEST_SEED=${seed})`);
const random = seededRandom(seed);
// Mounted before any suite runs: uvu starts running on the first `run()`, and a top-level await
// between suites would let it start before the later ones are registered.
const disk = await mountSmallDisk();

/** The ids of every event the ledger acknowledged, in log order. */
async function allIds(client: EventStoreDBClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const resolved of client.readAll({ fromPosition: START })) ids.push(resolved.event!.id);
  return ids;
}

interface Context {
  ledger: TestLedger;
  raw: Client;
  acknowledged: string[];
}

/** Appends and reads still work, and `$all` holds exactly what was acknowledged before. */
async function assertStillServing(context: Context) {
  const event = jsonEvent({ type: 'StillServing', data: { after: context.acknowledged.length } });
  await context.ledger.client.appendToStream('still-serving', event);
  context.acknowledged.push(event.id);
  assert.equal(await allIds(context.ledger.client), context.acknowledged);
}

const metadataOf = (error: { metadata?: { get(key: string): unknown[] } }, key: string) =>
  error.metadata?.get(key).map(String);

const test = suite<Context>('the ledger, fed bad input');

test.before(async (context) => {
  context.ledger = await startTestLedger();
  context.raw = rawClient(context.ledger.ledger.port);
  const events = Array.from({ length: 5 }, (_, n) => jsonEvent({ type: 'Before', data: { n } }));
  await context.ledger.client.appendToStream('before', events, { expectedRevision: 'no_stream' });
  context.acknowledged = events.map((event) => event.id);
});
test.after(async (context) => {
  context.raw.close();
  await context.ledger.stop();
});

test(
  'drops a connection that sends random bytes instead of HTTP/2',
  withTimeout(10_000, async (context) => {
    const answer = await sendRaw(context.ledger.ledger.port, random.bytes(4096));
    assert.not.ok(answer.timedOut, 'the server reacted to the garbage');
    const goaway = parseFrames(answer.received).find((frame) => frame.type === frameType.goaway);
    assert.ok(answer.closedByServer || (goaway?.errorCode ?? 0) !== 0, 'the connection was refused');
    await assertStillServing(context);
  }),
);

test(
  'answers garbage frames after a valid HTTP/2 preface with a GOAWAY carrying an error code',
  withTimeout(10_000, async (context) => {
    const garbage = Buffer.concat([
      http2Preface,
      http2Frame(frameType.settings, 0, 0, new Uint8Array()),
      // DATA on stream 0 is a connection error (RFC 9113 §6.1), then bytes that are no frame at all.
      http2Frame(frameType.data, 0, 0, Buffer.from('not a frame')),
      random.bytes(512),
    ]);
    const answer = await sendRaw(context.ledger.ledger.port, garbage);
    assert.not.ok(answer.timedOut, 'the server reacted to the garbage');
    const goaway = parseFrames(answer.received).find((frame) => frame.type === frameType.goaway);
    assert.is(goaway?.errorCode, 1, 'GOAWAY with PROTOCOL_ERROR');
    await assertStillServing(context);
  }),
);

test(
  'answers a Read whose message is not a ReadReq with an error status',
  withTimeout(10_000, async (context) => {
    // A length-delimited field whose length runs past the end of the message.
    const error = await failedRead(context.raw, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x01, 0x00]));
    assert.is(error.code, status.INTERNAL);
    assert.match(error.details, /deserializ/i);
    await assertStillServing(context);
  }),
);

test(
  'answers an Append whose messages are not AppendReqs with an error status, writing nothing',
  withTimeout(10_000, async (context) => {
    const [optionsMessage, event] = appendRequests(
      'malformed',
      proposed(randomUUID(), { type: 'T', 'content-type': 'application/json' }),
    );
    const truncated = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x01, 0x00]);
    const error = await failedAppend(context.raw, [optionsMessage!, truncated, event!]);
    assert.is(error.code, status.INTERNAL);
    assert.match(error.details, /deserializ/i);
    // Random bytes may fail to parse, or parse as a message with unknown fields only: refused either way.
    const noise = await failedAppend(context.raw, [optionsMessage!, random.bytes(64), event!]);
    assert.ok([status.INTERNAL, status.INVALID_ARGUMENT].includes(noise.code), noise.details);
    await assertStillServing(context);
  }),
);

test(
  'refuses an event without a content type, naming the missing property',
  withTimeout(10_000, async (context) => {
    const error = await failedAppend(
      context.raw,
      appendRequests('no-content-type', proposed(randomUUID(), { type: 'Tested' })),
    );
    assert.is(error.code, status.INVALID_ARGUMENT);
    assert.equal(metadataOf(error, 'exception'), ['missing-required-metadata-property']);
    assert.equal(metadataOf(error, 'required-metadata-properties'), ['content-type']);
    const seenByClient = convertToCommandError(error);
    assert.instance(seenByClient, RequiredMetadataPropertyMissingError);
    assert.equal((seenByClient as RequiredMetadataPropertyMissingError).requiredMetadataProperties, [
      'content-type',
    ]);
    await assertStillServing(context);
  }),
);

test(
  'refuses an event without a content type over BatchAppend too, in-band',
  withTimeout(10_000, async (context) => {
    const request = batchAppendRequest('no-content-type', randomUUID(), { type: 'Tested' });
    const answer = await batchAppend(context.raw, [request]);
    assert.ok(answer.hasError(), 'the append is refused');
    assert.is(answer.getError()!.getCode(), status.INVALID_ARGUMENT);
    assert.match(answer.getError()!.getMessage(), /content-type/);
    await assertStillServing(context);
  }),
);

test(
  'refuses an event whose id is not a UUID as an invalid argument',
  withTimeout(10_000, async (context) => {
    for (const id of ['not-a-uuid', '', '0123456789abcdef0123456789abcdef']) {
      const error = await failedAppend(
        context.raw,
        appendRequests('bad-id', proposed(id, { type: 'T', 'content-type': 'application/json' })),
      );
      assert.is(error.code, status.INVALID_ARGUMENT, `id ${JSON.stringify(id)}`);
      assert.match(error.details, /id/);
    }
    await assertStillServing(context);
  }),
);

test(
  'refuses an append whose first message is not the options',
  withTimeout(10_000, async (context) => {
    const [optionsMessage, event] = appendRequests(
      'options-last',
      proposed(randomUUID(), { type: 'T', 'content-type': 'application/json' }),
    );
    const error = await failedAppend(context.raw, [event!, optionsMessage!]);
    assert.is(error.code, status.INVALID_ARGUMENT);
    assert.match(error.details, /options/);
    const none = await failedAppend(context.raw, []);
    assert.is(none.code, status.INVALID_ARGUMENT);
    await assertStillServing(context);
  }),
);

test(
  'refuses a read with no options',
  withTimeout(10_000, async (context) => {
    const error = await failedRead(context.raw, new streamsPb.ReadReq().serializeBinary());
    assert.is(error.code, status.INVALID_ARGUMENT);
    assert.match(error.details, /options/);
    await assertStillServing(context);
  }),
);

test(
  'refuses a filter whose regular expression does not compile, in reads and subscriptions',
  withTimeout(10_000, async (context) => {
    for (const regex of ['(unclosed', '[z-a]', '*']) {
      const error = await failedRead(context.raw, filteredRead(regex).serializeBinary());
      assert.is(error.code, status.INVALID_ARGUMENT, regex);
      assert.match(error.details, /regular expression/);
    }
    const subscription = context.ledger.client.subscribeToAll({ filter: streamNameFilter({ regex: '(' }) });
    const failure = await new Promise<unknown>((resolve) => {
      subscription.once('error', resolve);
      subscription.once('data', () => resolve(new Error('the subscription delivered an event')));
    });
    await subscription.unsubscribe();
    assert.match(String(failure), /regular expression/);
    await assertStillServing(context);
  }),
);

test.run();

const isCorrupt = (error: unknown) => (error as { code?: string }).code === 'TALLY_LEDGER_CORRUPT';

const damaged = suite('the ledger, started on a damaged data directory');

damaged(
  'refuses to start on a record damaged inside the log, naming the file and the offset',
  withTimeout(20_000, async () => {
    for (const stopped of ['killed (no index snapshot)', 'stopped cleanly (index snapshot)']) {
      const directory = await tempDir('tally-ledger-damaged-');
      try {
        await ledgerWithBatches(directory.path, 6);
        const segment = firstSegment(directory.path);
        // The middle record of the second batch: intact batches follow it, so it is no torn tail.
        const record = (await recordSpans(segment))[4]!;
        await flipByte(segment, record.offset + record.length - 1);
        if (stopped.startsWith('killed')) await dropSnapshot(directory.path);
        const error = (await rejects(startLedger({ directory: directory.path }), isCorrupt)) as Error;
        assert.ok(error.message.includes(segment), `${stopped}: names the file: ${error.message}`);
        assert.match(error.message, `offset ${record.offset}`, `${stopped}: names the offset`);
        // A refused start leaves the directory free: trying again reports the damage again.
        await rejects(startLedger({ directory: directory.path }), isCorrupt);
      } finally {
        await directory.cleanup();
      }
    }
  }),
);

damaged(
  'serves damage older than its startup checks as TALLY_LEDGER_CORRUPT on every read that touches it, never as data',
  withTimeout(30_000, async () => {
    const directory = await tempDir('tally-ledger-damaged-');
    try {
      // A snapshot covers the whole log and more than the 10 000 records read back at start follow
      // the damage, so nothing looks at the damaged record before a client asks for it.
      const batches = await ledgerWithBatches(directory.path, 12, 1000);
      const segment = firstSegment(directory.path);
      const record = (await recordSpans(segment))[1]!;
      await flipByte(segment, record.offset + record.length - 1);
      const ledger = await startTestLedger({ directory: directory.path });
      try {
        const touchesDamage = (error: unknown) =>
          (error as { code?: number }).code === status.DATA_LOSS &&
          /TALLY_LEDGER_CORRUPT/.test(String(error));
        await rejects(allIds(ledger.client), touchesDamage);
        await rejects(readIds(ledger.client, 'batch-0'), touchesDamage);
        assert.equal(await readIds(ledger.client, 'batch-1'), [
          ...batches[1]!,
          ...batches[4]!,
          ...batches[7]!,
          ...batches[10]!,
        ]);
        await ledger.client.appendToStream('after-damage', jsonEvent({ type: 'T', data: {} }));
      } finally {
        await ledger.stop();
      }
    } finally {
      await directory.cleanup();
    }
  }),
);

damaged(
  'starts after a torn tail without the torn batch, everything before intact, and appends again',
  withTimeout(20_000, async () => {
    for (const stopped of ['killed (no index snapshot)', 'stopped cleanly (index snapshot)']) {
      const directory = await tempDir('tally-ledger-torn-');
      try {
        const batches = await ledgerWithBatches(directory.path, 5);
        const segment = firstSegment(directory.path);
        const size = (await stat(segment)).size;
        await truncate(segment, size - 5);
        if (stopped.startsWith('killed')) await dropSnapshot(directory.path);
        const kept = batches.slice(0, -1).flat();
        let ledger = await startTestLedger({ directory: directory.path });
        const after = jsonEvent({ type: 'AfterTheTear', data: {} });
        try {
          assert.equal(
            await allIds(ledger.client),
            kept,
            `${stopped}: the torn batch is gone, the rest intact`,
          );
          const result = await ledger.client.appendToStream('after-tear', after);
          assert.ok(
            result.position!.commit < BigInt(size),
            `${stopped}: the log goes on where the tear was cut`,
          );
        } finally {
          await ledger.stop();
        }
        ledger = await startTestLedger({ directory: directory.path });
        try {
          assert.equal(await allIds(ledger.client), [...kept, after.id], `${stopped}: and it stays so`);
        } finally {
          await ledger.stop();
        }
      } finally {
        await directory.cleanup();
      }
    }
  }),
);

damaged.run();

async function readIds(client: EventStoreDBClient, stream: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const resolved of client.readStream(stream)) ids.push(resolved.event!.id);
  return ids;
}

const full = suite('the ledger on a full disk');

if ('reason' in disk) {
  full.skip(`needs a tmpfs mount, which failed: ${disk.reason}`, () => {});
} else {
  full.after(() => disk.release());

  full(
    'refuses appends with TALLY_LEDGER_DISK_FULL, loses nothing acknowledged, and appends again once space is freed',
    withTimeout(30_000, async () => {
      const directory = join(disk.path, 'ledger');
      const big = () => jsonEvent({ type: 'Big', data: { pad: 'x'.repeat(16 * 1024) } });
      let ledger = await startTestLedger({ directory });
      const acknowledged: string[] = [];
      try {
        for (let n = 0; n < 3; n++) {
          const events = [big(), big()];
          await ledger.client.appendToStream('before', events);
          acknowledged.push(...events.map((event) => event.id));
        }
        const filler = join(disk.path, 'filler');
        fillDisk(filler);
        const isDiskFull = (error: unknown) => /TALLY_LEDGER_DISK_FULL/.test(String(error));
        const refused = await Promise.allSettled([
          ledger.client.appendToStream('refused', [big(), big()]),
          ledger.client.appendToStream('refused', big()),
          ledger.client.appendToStream('before', big(), { expectedRevision: 5n }),
        ]);
        for (const outcome of refused) {
          assert.is(outcome.status, 'rejected');
          assert.ok(
            isDiskFull((outcome as PromiseRejectedResult).reason),
            String((outcome as PromiseRejectedResult).reason),
          );
        }
        assert.equal(await allIds(ledger.client), acknowledged, 'reads work and nothing was lost');
        await rejects(ledger.client.appendToStream('refused', big()), isDiskFull);

        await unlink(filler);
        const again = [big(), big()];
        const result = await ledger.client.appendToStream('before', again, { expectedRevision: 5n });
        assert.is(result.nextExpectedRevision, 7n, 'the refused appends left no revision behind');
        acknowledged.push(...again.map((event) => event.id));
      } finally {
        await ledger.stop();
      }
      ledger = await startTestLedger({ directory });
      try {
        assert.equal(await allIds(ledger.client), acknowledged, 'after a restart too');
      } finally {
        await ledger.stop();
      }
    }),
  );
}

full.run();
