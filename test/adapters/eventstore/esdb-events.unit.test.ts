import type { ResolvedEvent } from '@eventstore/db-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isEventStoreError } from '../../../adapters/eventstore/errors.ts';
import { fromResolvedEvent, isSystemEvent, toEventData } from '../../../adapters/eventstore/esdb-events.ts';

/** A client event as `convertGrpcRecord` builds it; the fields each test cares about override these. */
function clientEvent(overrides: Record<string, unknown>): ResolvedEvent {
  return {
    event: {
      streamId: 'build-abc',
      id: '0b7f4c5e-8f0a-4f5e-9d59-6a0e2b1c3d4e',
      revision: 3n,
      type: 'BuildQueued',
      created: new Date('2026-01-02T03:04:05Z'),
      isJson: true,
      data: { drv: 'hello.drv' },
      metadata: { actor: 'poller' },
      position: { commit: 420n, prepare: 420n },
      ...overrides,
    },
  } as unknown as ResolvedEvent;
}

const reading = suite('reading a recorded event');

reading('gives the fields as plain numbers, JSON and a Date', () => {
  const event = fromResolvedEvent(clientEvent({}));
  assert.equal(event, {
    streamId: 'build-abc',
    revision: 3,
    position: 420,
    id: '0b7f4c5e-8f0a-4f5e-9d59-6a0e2b1c3d4e',
    type: 'BuildQueued',
    data: { drv: 'hello.drv' },
    metadata: { actor: 'poller' },
    created: new Date('2026-01-02T03:04:05Z'),
  });
});

reading('reports a binary body as malformed with its bytes in base64', () => {
  const event = fromResolvedEvent(clientEvent({ isJson: false, data: new Uint8Array([0, 255, 1]) }));
  assert.is(event?.data, null);
  assert.equal(event?.malformed, [{ part: 'data', reason: 'binary', raw: 'AP8B' }]);
});

reading('reports a JSON body that does not parse (which the client hands back as text)', () => {
  const event = fromResolvedEvent(clientEvent({ data: '{"drv": "hello' }));
  assert.is(event?.data, null);
  assert.equal(event?.malformed, [{ part: 'data', reason: 'invalid-json', raw: '{"drv": "hello' }]);
});

reading('accepts JSON numbers, null and strings that hold JSON as data', () => {
  assert.is(fromResolvedEvent(clientEvent({ data: 7 }))?.data, 7);
  assert.is(fromResolvedEvent(clientEvent({ data: null }))?.malformed, undefined);
  assert.is(fromResolvedEvent(clientEvent({ data: '[1]' }))?.data, '[1]');
});

reading('reports metadata that is not JSON, as text or as bytes', () => {
  const text = fromResolvedEvent(clientEvent({ metadata: new TextEncoder().encode('actor=poller') }));
  assert.equal(text?.metadata, {});
  assert.equal(text?.malformed, [{ part: 'metadata', reason: 'invalid-json', raw: 'actor=poller' }]);
  const bytes = fromResolvedEvent(clientEvent({ metadata: new Uint8Array([0xff, 0xfe]) }));
  assert.equal(bytes?.malformed, [{ part: 'metadata', reason: 'binary', raw: '//4=' }]);
});

reading('reports metadata that is JSON but not an object', () => {
  const event = fromResolvedEvent(clientEvent({ metadata: [1, 2] }));
  assert.equal(event?.malformed, [{ part: 'metadata', reason: 'not-an-object', raw: '[1,2]' }]);
});

reading('gives empty metadata for an event without any', () => {
  assert.equal(fromResolvedEvent(clientEvent({ metadata: undefined }))?.metadata, {});
});

reading('takes the position from the entry when the record has none', () => {
  const resolved = clientEvent({ position: undefined });
  assert.is(fromResolvedEvent({ ...resolved, commitPosition: 99n })?.position, 99);
  assert.is(fromResolvedEvent(resolved)?.position, -1);
});

reading('refuses a revision beyond 2^53 rather than rounding it', () => {
  try {
    fromResolvedEvent(clientEvent({ revision: 2n ** 60n }));
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.ok(isEventStoreError(error, 'TALLY_EVENTSTORE_NUMBER_OUT_OF_RANGE'));
  }
});

reading('skips an entry without an event (an unresolved link)', () => {
  assert.is(fromResolvedEvent({}), undefined);
});

reading('treats $-prefixed types and streams as system events', () => {
  assert.ok(isSystemEvent({ streamId: '$stats-1', type: 'x' }));
  assert.ok(isSystemEvent({ streamId: 'build-1', type: '$metadata' }));
  assert.not.ok(isSystemEvent({ streamId: 'build-1', type: 'BuildQueued' }));
});

reading.run();

const writing = suite('checking an event to append');

function refusal(event: Parameters<typeof toEventData>[1]): string {
  try {
    toEventData('spec-demo', event, 2);
  } catch (error) {
    if (isEventStoreError(error, 'TALLY_EVENTSTORE_INVALID_EVENT')) {
      assert.is(error.failure.index, 2);
      assert.is(error.failure.stream, 'spec-demo');
      return error.message;
    }
    throw error;
  }
  return assert.unreachable('expected a refusal') as never;
}

writing('builds a JSON event with the given id, lowercased', () => {
  const data = toEventData(
    'spec-demo',
    { id: 'A0B7F4C5-8F0A-4F5E-9D59-6A0E2B1C3D4E', type: 'SpecAdded', data: {} },
    0,
  );
  assert.is(data.id, 'a0b7f4c5-8f0a-4f5e-9d59-6a0e2b1c3d4e');
  assert.is(data.contentType, 'application/json');
});

writing('generates an id when none is given', () => {
  assert.match(toEventData('spec-demo', { type: 'SpecAdded', data: {} }, 0).id, /^[0-9a-f-]{36}$/);
});

writing('refuses ids that are not UUIDs', () => {
  assert.match(refusal({ id: 'build-1', type: 'SpecAdded', data: {} }), /not a UUID/);
});

writing('refuses empty and reserved types', () => {
  assert.match(refusal({ type: '', data: {} }), /empty/);
  assert.match(refusal({ type: '$metadata', data: {} }), /reserved/);
});

writing('refuses data that is a bare string or not JSON at all', () => {
  assert.match(refusal({ type: 'X', data: 'hello' }), /bare string/);
  assert.match(refusal({ type: 'X', data: undefined }), /not JSON/);
  assert.match(refusal({ type: 'X', data: { n: 1n } }), /not JSON/);
});

writing('refuses metadata that is not an object', () => {
  assert.match(
    refusal({ type: 'X', data: {}, metadata: [] as unknown as Record<string, unknown> }),
    /metadata/,
  );
});

writing.run();
