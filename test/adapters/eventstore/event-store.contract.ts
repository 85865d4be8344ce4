/**
 * The event-store port's contract: every behaviour promised in `adapters/eventstore/event-store.ts`,
 * as uvu suites over a factory, run against each adapter and server. Streams get fresh random names so
 * the suite also runs against a shared store that already holds events.
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type EventStoreErrorCode, isEventStoreError } from '../../../adapters/eventstore/errors.ts';
import type {
  EventStore,
  NewEvent,
  RecordedEvent,
  SubscribeOptions,
  SubscriptionMessage,
} from '../../../adapters/eventstore/event-store.ts';
import { rejects, withTimeout } from '../../helpers/uvu.ts';
import type { RawEvent } from './raw-append.ts';

/** What a contract run needs from the adapter under test. */
export interface EventStoreFixture {
  readonly store: EventStore;
  /** Appends an event byte for byte as a foreign writer could (binary or malformed content). */
  appendRaw(stream: string, event: RawEvent): Promise<void>;
  /** Hard-deletes (tombstones) a stream, as an operator could. */
  tombstone(stream: string): Promise<void>;
  /** A store of the same kind at an address where nothing listens. */
  unreachableStore(): Promise<EventStore>;
  close(): Promise<void>;
}

const timeoutMs = 15_000;

/** A fresh category (no `-`), so prefix filters match only this test's streams. */
const category = () => `contract${randomUUID().replaceAll('-', '').slice(0, 12)}`;

const event = (type: string, data: unknown = { n: 1 }, metadata?: Record<string, unknown>): NewEvent =>
  metadata === undefined ? { type, data } : { type, data, metadata };

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

function hasCode(code: EventStoreErrorCode) {
  return (error: unknown) => isEventStoreError(error, code);
}

/** Reads messages until `done` says so, then cancels the subscription. */
async function readUntil(
  store: EventStore,
  options: SubscribeOptions,
  done: (messages: SubscriptionMessage[]) => boolean,
  afterStart?: () => Promise<void>,
): Promise<SubscriptionMessage[]> {
  const subscription = store.subscribeToAll(options);
  const messages: SubscriptionMessage[] = [];
  if (afterStart) {
    await subscription.started();
    await afterStart();
  }
  for await (const message of subscription) {
    messages.push(message);
    if (done(messages)) break;
  }
  await subscription.cancel();
  return messages;
}

const eventsOf = (messages: SubscriptionMessage[]): RecordedEvent[] =>
  messages.flatMap((message) => (message.kind === 'event' ? [message.event] : []));

interface Context {
  fixture: EventStoreFixture;
}

/** Registers and runs the contract suites for one adapter; `name` prefixes every suite. */
export function eventStoreContract(name: string, factory: () => Promise<EventStoreFixture>): void {
  const suites: Array<ReturnType<typeof suite<Context>>> = [];
  const make = (title: string) => {
    const s = suite<Context>(`${name}: ${title}`, {} as Context);
    s.before(async (context) => {
      context.fixture = await factory();
    });
    s.after(async (context) => {
      await context.fixture.close();
    });
    suites.push(s);
    return s;
  };
  const it = (
    s: ReturnType<typeof make>,
    title: string,
    body: (fixture: EventStoreFixture) => Promise<void>,
  ) =>
    s(
      title,
      withTimeout(timeoutMs, (context: Context) => body(context.fixture)),
    );

  const append = make('append');

  it(append, 'appends to a new stream and reads the events back as recorded', async (fixture) => {
    const stream = `${category()}-1`;
    const id = randomUUID();
    const before = Date.now() - 60_000;
    const result = await fixture.store.append(
      stream,
      [
        {
          id,
          type: 'SpecAdded',
          data: { name: 'demo', systems: ['x86_64-linux'] },
          metadata: { actor: 'user:alice' },
        },
        event('SpecPaused', { reason: null }),
      ],
      'no_stream',
    );
    assert.is(result.nextRevision, 1);
    const read = await collect(fixture.store.readStream(stream));
    assert.is(read.length, 2);
    const [first, second] = read as [RecordedEvent, RecordedEvent];
    assert.equal(
      { ...first, created: undefined, position: undefined },
      {
        streamId: stream,
        revision: 0,
        position: undefined,
        id,
        type: 'SpecAdded',
        data: { name: 'demo', systems: ['x86_64-linux'] },
        metadata: { actor: 'user:alice' },
        created: undefined,
      },
    );
    assert.instance(first.created, Date);
    assert.ok(first.created.getTime() > before, 'created is the time of the append');
    assert.equal(second.metadata, {});
    assert.is(second.revision, 1);
    assert.ok(second.position > first.position, 'positions increase within an append');
    assert.ok(result.position >= first.position && result.position <= second.position);
    assert.is(first.malformed, undefined);
  });

  it(
    append,
    'reports the position of a single-event append as the position the event is read at',
    async (fixture) => {
      const stream = `${category()}-1`;
      const result = await fixture.store.append(stream, [event('A')], 'any');
      const [read] = await collect(fixture.store.readStream(stream));
      assert.is(read?.position, result.position);
      const later = await fixture.store.append(stream, [event('B')], 'any');
      assert.ok(later.position > result.position);
      assert.is(later.nextRevision, 1);
    },
  );

  it(append, 'keeps JSON values of every kind intact', async (fixture) => {
    const stream = `${category()}-1`;
    const values = [
      { nested: { list: [1, 'two', null, true] }, unicode: 'ünï ✓ 🚀' },
      [1, 2],
      42,
      null,
      false,
    ];
    await fixture.store.append(
      stream,
      values.map((data) => event('Value', data)),
      'no_stream',
    );
    const read = await collect(fixture.store.readStream(stream));
    assert.equal(
      read.map((e) => e.data),
      values,
    );
  });

  it(append, 'appends after the expected revision and refuses a stale one, naming both', async (fixture) => {
    const stream = `${category()}-1`;
    const first = await fixture.store.append(stream, [event('A'), event('B')], 'no_stream');
    const second = await fixture.store.append(stream, [event('C')], first.nextRevision);
    assert.is(second.nextRevision, 2);
    const error = await rejects(
      fixture.store.append(stream, [event('D')], 0),
      hasCode('TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION'),
    );
    assert.ok(isEventStoreError(error, 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION'));
    assert.equal(error.failure, {
      code: 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION',
      stream,
      expected: 0,
      actual: 2,
    });
    assert.is((await collect(fixture.store.readStream(stream))).length, 3);
  });

  it(
    append,
    'refuses no_stream on a stream that exists and stream_exists on one that does not',
    async (fixture) => {
      const stream = `${category()}-1`;
      const missing = await rejects(
        fixture.store.append(stream, [event('A')], 'stream_exists'),
        hasCode('TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION'),
      );
      assert.ok(isEventStoreError(missing, 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION'));
      assert.is(missing.failure.actual, 'no_stream');
      assert.is(missing.failure.expected, 'stream_exists');
      await fixture.store.append(stream, [event('A')], 'no_stream');
      const existing = await rejects(
        fixture.store.append(stream, [event('B')], 'no_stream'),
        hasCode('TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION'),
      );
      assert.ok(isEventStoreError(existing, 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION'));
      assert.is(existing.failure.actual, 0);
      assert.is((await fixture.store.append(stream, [event('B')], 'stream_exists')).nextRevision, 1);
    },
  );

  it(append, 'stores a retried append with the same ids only once', async (fixture) => {
    const stream = `${category()}-1`;
    const events = [
      { id: randomUUID(), type: 'A', data: {} },
      { id: randomUUID(), type: 'B', data: {} },
    ];
    const first = await fixture.store.append(stream, events, 'no_stream');
    const retry = await fixture.store.append(stream, events, 'no_stream');
    assert.is(retry.nextRevision, first.nextRevision);
    assert.is((await collect(fixture.store.readStream(stream))).length, 2);
  });

  it(append, 'refuses an append over the size limit and stores none of it', async (fixture) => {
    const stream = `${category()}-1`;
    const big = 'x'.repeat(2 * 1024 * 1024);
    const error = await rejects(
      fixture.store.append(stream, [event('Small'), event('Big', { big })], 'any'),
      hasCode('TALLY_EVENTSTORE_APPEND_TOO_LARGE'),
    );
    assert.ok(isEventStoreError(error, 'TALLY_EVENTSTORE_APPEND_TOO_LARGE'));
    assert.is(error.failure.stream, stream);
    assert.ok(error.failure.maxAppendSize > 0);
    assert.equal(await collect(fixture.store.readStream(stream)), []);
  });

  it(append, 'refuses an invalid event before sending anything', async (fixture) => {
    const stream = `${category()}-1`;
    await rejects(
      fixture.store.append(stream, [event('A'), { id: 'not-a-uuid', type: 'B', data: {} }], 'any'),
      hasCode('TALLY_EVENTSTORE_INVALID_EVENT'),
    );
    assert.equal(await collect(fixture.store.readStream(stream)), []);
  });

  it(append, 'fails with UNAVAILABLE and advice when the store cannot be reached', async (fixture) => {
    const store = await fixture.unreachableStore();
    try {
      const error = await rejects(
        store.append(`${category()}-1`, [event('A')], 'any'),
        hasCode('TALLY_EVENTSTORE_UNAVAILABLE'),
      );
      assert.match((error as Error).message, /check that it is running/);
      await rejects(collect(store.readAll({ limit: 1 })), hasCode('TALLY_EVENTSTORE_UNAVAILABLE'));
    } finally {
      await store.close();
    }
  });

  const readStream = make('readStream');

  it(readStream, 'yields nothing for a stream that was never written', async (fixture) => {
    assert.equal(await collect(fixture.store.readStream(`${category()}-missing`)), []);
    assert.equal(
      await collect(fixture.store.readStream(`${category()}-missing`, { direction: 'backwards' })),
      [],
    );
  });

  it(
    readStream,
    'reads forwards and backwards from a revision, inclusive, up to a limit',
    async (fixture) => {
      const stream = `${category()}-1`;
      await fixture.store.append(
        stream,
        ['E0', 'E1', 'E2', 'E3', 'E4'].map((type) => event(type)),
        'no_stream',
      );
      const types = async (options: Parameters<EventStore['readStream']>[1]) =>
        (await collect(fixture.store.readStream(stream, options))).map((e) => e.type);
      assert.equal(await types({ fromRevision: 2 }), ['E2', 'E3', 'E4']);
      assert.equal(await types({ fromRevision: 1, limit: 2 }), ['E1', 'E2']);
      assert.equal(await types({ direction: 'backwards' }), ['E4', 'E3', 'E2', 'E1', 'E0']);
      assert.equal(await types({ direction: 'backwards', fromRevision: 3, limit: 2 }), ['E3', 'E2']);
      assert.equal(await types({ direction: 'backwards', limit: 1 }), ['E4']);
      assert.equal(await types({ fromRevision: 9 }), []);
      assert.equal(await types({ limit: 0 }), []);
    },
  );

  it(readStream, 'stops the read when the reader breaks out early', async (fixture) => {
    const stream = `${category()}-1`;
    await fixture.store.append(
      stream,
      Array.from({ length: 50 }, (_, i) => event(`E${i}`)),
      'no_stream',
    );
    let seen = 0;
    for await (const _ of fixture.store.readStream(stream)) {
      seen += 1;
      if (seen === 3) break;
    }
    assert.is(seen, 3);
    assert.is((await collect(fixture.store.readStream(stream))).length, 50);
  });

  it(readStream, 'refuses a negative limit or revision', async (fixture) => {
    await rejects(
      collect(fixture.store.readStream('x-1', { limit: -1 })),
      hasCode('TALLY_EVENTSTORE_INVALID_ARGUMENT'),
    );
    await rejects(
      collect(fixture.store.readStream('x-1', { fromRevision: 1.5 })),
      hasCode('TALLY_EVENTSTORE_INVALID_ARGUMENT'),
    );
  });

  it(
    readStream,
    'fails with STREAM_DELETED on a tombstoned stream, for reads and appends',
    async (fixture) => {
      const stream = `${category()}-1`;
      await fixture.store.append(stream, [event('A')], 'no_stream');
      await fixture.tombstone(stream);
      const error = await rejects(
        collect(fixture.store.readStream(stream)),
        hasCode('TALLY_EVENTSTORE_STREAM_DELETED'),
      );
      assert.ok(isEventStoreError(error, 'TALLY_EVENTSTORE_STREAM_DELETED'));
      assert.is(error.failure.stream, stream);
      await rejects(
        fixture.store.append(stream, [event('B')], 'any'),
        hasCode('TALLY_EVENTSTORE_STREAM_DELETED'),
      );
    },
  );

  it(readStream, 'reports binary and malformed content per event and goes on reading', async (fixture) => {
    const stream = `${category()}-1`;
    const text = (value: string) => new TextEncoder().encode(value);
    await fixture.store.append(stream, [event('Good', { ok: true })], 'no_stream');
    await fixture.appendRaw(stream, {
      type: 'Truncated',
      contentType: 'application/json',
      data: text('{"ok": tr'),
    });
    await fixture.appendRaw(stream, {
      type: 'Blob',
      contentType: 'application/octet-stream',
      data: new Uint8Array([0, 1, 254, 255]),
    });
    await fixture.appendRaw(stream, {
      type: 'OddMetadata',
      contentType: 'application/json',
      data: text('{"ok":true}'),
      metadata: text('actor=alice'),
    });
    await fixture.store.append(stream, [event('AlsoGood', { ok: true })], 3);
    const read = await collect(fixture.store.readStream(stream));
    assert.equal(
      read.map((e) => [e.type, e.data, e.malformed]),
      [
        ['Good', { ok: true }, undefined],
        ['Truncated', null, [{ part: 'data', reason: 'invalid-json', raw: '{"ok": tr' }]],
        ['Blob', null, [{ part: 'data', reason: 'binary', raw: 'AAH+/w==' }]],
        ['OddMetadata', { ok: true }, [{ part: 'metadata', reason: 'invalid-json', raw: 'actor=alice' }]],
        ['AlsoGood', { ok: true }, undefined],
      ],
    );
    const fromAll = await collect(fixture.store.readAll({ fromPosition: read[0]!.position, limit: 200 }));
    assert.equal(
      fromAll.filter((e) => e.streamId === stream).map((e) => e.type),
      read.map((e) => e.type),
    );
  });

  const readAll = make('readAll');

  it(readAll, 'reads forwards from a position, inclusive, in the order of appends', async (fixture) => {
    const streamA = `${category()}-a`;
    const streamB = `${category()}-b`;
    const first = await fixture.store.append(streamA, [event('A0')], 'no_stream');
    await fixture.store.append(streamB, [event('B0'), event('B1')], 'no_stream');
    await fixture.store.append(streamA, [event('A1')], 0);
    const read = await collect(fixture.store.readAll({ fromPosition: first.position, limit: 100 }));
    const mine = read.filter((e) => e.streamId === streamA || e.streamId === streamB);
    assert.equal(
      mine.map((e) => e.type),
      ['A0', 'B0', 'B1', 'A1'],
    );
    assert.is(read[0]?.type, 'A0');
    for (let i = 1; i < read.length; i += 1) assert.ok(read[i]!.position > read[i - 1]!.position);
  });

  it(
    readAll,
    'reads backwards from the end, newest first, and from a position, exclusive',
    async (fixture) => {
      const stream = `${category()}-1`;
      await fixture.store.append(stream, [event('E0'), event('E1'), event('E2')], 'no_stream');
      const latest = await collect(fixture.store.readAll({ direction: 'backwards', limit: 3 }));
      // Other writers may have appended since; our three must still come newest first.
      const mine = latest.filter((e) => e.streamId === stream).map((e) => e.type);
      assert.ok(mine.length === 0 || mine[0] === 'E2', `newest first, got ${mine.join(',')}`);
      const all = await collect(fixture.store.readStream(stream));
      const before = await collect(
        fixture.store.readAll({ direction: 'backwards', fromPosition: all[2]!.position, limit: 2 }),
      );
      assert.equal(
        before.map((e) => [e.streamId, e.type]),
        [
          [stream, 'E1'],
          [stream, 'E0'],
        ],
      );
    },
  );

  it(readAll, 'counts the limit in delivered events and leaves out system events', async (fixture) => {
    const stream = `${category()}-1`;
    const result = await fixture.store.append(
      stream,
      Array.from({ length: 5 }, (_, i) => event(`E${i}`)),
      'no_stream',
    );
    const [first] = await collect(fixture.store.readStream(stream, { limit: 1 }));
    const read = await collect(fixture.store.readAll({ fromPosition: first!.position, limit: 4 }));
    assert.is(read.length, 4);
    assert.ok(result.position >= read[3]!.position);
    const everything = await collect(fixture.store.readAll({ limit: 500 }));
    assert.ok(everything.every((e) => !e.type.startsWith('$') && !e.streamId.startsWith('$')));
  });

  it(readAll, 'reads nothing past the end', async (fixture) => {
    const stream = `${category()}-1`;
    await fixture.store.append(stream, [event('E0')], 'no_stream');
    const [last] = await collect(fixture.store.readAll({ direction: 'backwards', limit: 1 }));
    const after = await collect(fixture.store.readAll({ fromPosition: last!.position + 1 }));
    assert.ok(after.every((e) => e.position > last!.position));
  });

  const subscribe = make('subscribeToAll');

  it(subscribe, 'catches up from a position, exclusive, then follows live appends', async (fixture) => {
    const cat = category();
    const first = await fixture.store.append(`${cat}-1`, [event('Old0')], 'no_stream');
    await fixture.store.append(`${cat}-1`, [event('Old1')], 0);
    const subscription = fixture.store.subscribeToAll({
      from: first.position,
      filter: { streamPrefixes: [cat] },
    });
    const seen: string[] = [];
    let appendedLive = false;
    for await (const message of subscription) {
      if (message.kind !== 'event') continue;
      seen.push(message.event.type);
      if (!appendedLive) {
        appendedLive = true;
        await fixture.store.append(`${cat}-2`, [event('Live0'), event('Live1')], 'no_stream');
      }
      if (seen.length === 3) break;
    }
    assert.equal(seen, ['Old1', 'Live0', 'Live1']);
  });

  it(subscribe, 'delivers from the start every event of a matching stream', async (fixture) => {
    const cat = category();
    await fixture.store.append(`${cat}-1`, [event('E0'), event('E1')], 'no_stream');
    const messages = await readUntil(
      fixture.store,
      { from: 'start', filter: { streamPrefixes: [`${cat}-`] } },
      (m) => eventsOf(m).length === 2,
    );
    assert.equal(
      eventsOf(messages).map((e) => [e.streamId, e.type, e.revision]),
      [
        [`${cat}-1`, 'E0', 0],
        [`${cat}-1`, 'E1', 1],
      ],
    );
  });

  it(subscribe, 'from the end delivers only what is appended after it started', async (fixture) => {
    const cat = category();
    await fixture.store.append(`${cat}-1`, [event('Before')], 'no_stream');
    const messages = await readUntil(
      fixture.store,
      { from: 'end', filter: { streamPrefixes: [cat] } },
      (m) => eventsOf(m).length === 1,
      async () => {
        await fixture.store.append(`${cat}-1`, [event('After')], 0);
      },
    );
    assert.equal(
      eventsOf(messages).map((e) => e.type),
      ['After'],
    );
  });

  it(subscribe, 'filters on event-type prefixes and on regular expressions', async (fixture) => {
    const cat = category();
    const tag = cat.slice(-6);
    const start = await fixture.store.append(`${cat}-1`, [event('Start')], 'no_stream');
    await fixture.store.append(
      `${cat}-1`,
      [event(`Build${tag}Queued`), event(`Spec${tag}Added`), event(`Build${tag}Failed`)],
      0,
    );
    await fixture.store.append(`${cat}x-2`, [event(`Other${tag}`)], 'no_stream');
    const byType = await readUntil(
      fixture.store,
      { from: start.position, filter: { typePrefixes: [`Build${tag}`] } },
      (m) => eventsOf(m).length === 2,
    );
    assert.equal(
      eventsOf(byType).map((e) => e.type),
      [`Build${tag}Queued`, `Build${tag}Failed`],
    );
    const byTypeRegex = await readUntil(
      fixture.store,
      { from: start.position, filter: { typeRegex: `^(Spec|Other)${tag}` } },
      (m) => eventsOf(m).length === 2,
    );
    assert.equal(
      eventsOf(byTypeRegex).map((e) => e.type),
      [`Spec${tag}Added`, `Other${tag}`],
    );
    const byStreamRegex = await readUntil(
      fixture.store,
      { from: start.position, filter: { streamRegex: `^${cat}x-` } },
      (m) => eventsOf(m).length === 1,
    );
    assert.equal(
      eventsOf(byStreamRegex).map((e) => e.streamId),
      [`${cat}x-2`],
    );
  });

  it(subscribe, 'sends checkpoints in order while it skips events that do not match', async (fixture) => {
    const cat = category();
    const start = await fixture.store.append(`${cat}-noise`, [event('Noise')], 'no_stream');
    for (let batch = 0; batch < 4; batch += 1) {
      await fixture.store.append(
        `${cat}-noise`,
        Array.from({ length: 10 }, () => event('Noise')),
        'any',
      );
    }
    const match = await fixture.store.append(`${cat}-match`, [event('Match')], 'no_stream');
    const messages = await readUntil(
      fixture.store,
      { from: start.position, filter: { streamPrefixes: [`${cat}-match`] }, checkpointInterval: 4 },
      (m) => eventsOf(m).length === 1,
    );
    const checkpoints = messages.flatMap((m) => (m.kind === 'checkpoint' ? [m.position] : []));
    assert.ok(checkpoints.length > 0, 'at least one checkpoint while skipping 40 events');
    let last = -1;
    for (const message of messages) {
      const position = message.kind === 'event' ? message.event.position : message.position;
      assert.ok(position >= last, 'events and checkpoints arrive in position order');
      last = position;
    }
    assert.is(eventsOf(messages)[0]?.position, match.position);
  });

  it(subscribe, 'ends quietly when cancelled while waiting for events', async (fixture) => {
    const subscription = fixture.store.subscribeToAll({
      from: 'end',
      filter: { streamPrefixes: [category()] },
    });
    await subscription.started();
    const iterating = collect(subscription);
    await subscription.cancel();
    await subscription.cancel();
    const messages = await iterating;
    assert.equal(eventsOf(messages), []);
  });

  it(subscribe, 'delivers malformed events flagged, without ending', async (fixture) => {
    const cat = category();
    await fixture.appendRaw(`${cat}-1`, {
      type: 'Broken',
      contentType: 'application/json',
      data: new TextEncoder().encode('{'),
    });
    await fixture.store.append(`${cat}-1`, [event('Fine')], 0);
    const messages = await readUntil(
      fixture.store,
      { from: 'start', filter: { streamPrefixes: [cat] } },
      (m) => eventsOf(m).length === 2,
    );
    assert.equal(
      eventsOf(messages).map((e) => [e.type, e.malformed?.[0]?.reason]),
      [
        ['Broken', 'invalid-json'],
        ['Fine', undefined],
      ],
    );
  });

  for (const s of suites) s.run();
}
