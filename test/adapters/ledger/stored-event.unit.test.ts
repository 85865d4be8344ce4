import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fromStoredBytes } from '../../../adapters/eventstore/esdb-events.ts';
import { encodedLength, encodeRecord } from '../../../adapters/ledger/storage/file/record-codec.ts';
import type { NewRecord } from '../../../adapters/ledger/storage/storage.ts';
import { isSystemRecord, StoredEvent } from '../../../adapters/ledger/stored-event.ts';
import { recordedFields } from '../../fixtures/recorded-fields.ts';

const test = suite('an event read from its record on first access');
const bytes = (text: string) => Buffer.from(text);

function record(fields: Partial<NewRecord>): NewRecord {
  return {
    streamId: 'build-x',
    revision: 3,
    eventId: randomUUID(),
    type: 'BuildWanted',
    contentType: 'application/json',
    created: 1_714_521_600_123_456,
    data: bytes('{"drvPath":"/nix/store/x.drv"}'),
    metadata: bytes('{"schemaVersion":1}'),
    ...fields,
  };
}

/** `record` encoded after some other bytes, as it would sit in a run read from a segment. */
function stored(fields: Partial<NewRecord>): { source: Buffer; offset: number; written: NewRecord } {
  const written = record(fields);
  const offset = 37;
  const source = Buffer.alloc(offset + encodedLength(written) + 11, 0xaa);
  encodeRecord(written, source, offset, 1, 0);
  return { source, offset, written };
}

const contents: Record<string, Partial<NewRecord>> = {
  'plain JSON': {},
  'non-ASCII text': { data: bytes('{"name":"Zoë ✓ 𝄞"}'), streamId: 'spec-ünï' },
  'a leading byte order mark': { data: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes('{"a":1}')]) },
  'bytes that are not UTF-8 inside a JSON string': { data: Buffer.from([0x22, 0xff, 0xfe, 0x22]) },
  'JSON cut short': { data: bytes('{"a": tr') },
  'binary data': { contentType: 'application/octet-stream', data: Buffer.from([0, 1, 254]) },
  'binary bytes marked as JSON': { data: Buffer.from([0xff, 0x00, 0xc3]) },
  'no metadata': { metadata: new Uint8Array() },
  'metadata that is not an object': { metadata: bytes('[1,2]') },
  'metadata that is null': { metadata: bytes('null') },
  'metadata that is not JSON': { metadata: bytes('{schemaVersion') },
  'binary metadata': { metadata: Buffer.from([0xff, 0xfe]) },
  'both parts broken': { data: bytes('{'), metadata: bytes('x') },
};

for (const [name, content] of Object.entries(contents)) {
  test(`reads ${name} exactly as fromStoredBytes does`, () => {
    const { source, offset, written } = stored(content);
    const event = new StoredEvent(source, offset, 9000);
    const expected = fromStoredBytes({
      ...written,
      position: 9000,
      id: written.eventId,
      created: new Date(Math.floor(written.created / 1000)),
    });
    assert.equal(recordedFields(event), recordedFields(expected));
  });
}

test('reads JSON text as TextDecoder reads it: byte order mark dropped, bad sequences replaced', () => {
  for (const name of [
    'non-ASCII text',
    'a leading byte order mark',
    'bytes that are not UTF-8 inside a JSON string',
  ]) {
    const { source, offset, written } = stored(contents[name]!);
    const event = new StoredEvent(source, offset, 0);
    assert.equal(event.data, JSON.parse(new TextDecoder().decode(written.data)), name);
    assert.is(event.malformed, undefined, name);
  }
});

test('parses the content once, whichever field is asked first', () => {
  const { source, offset } = stored({});
  const event = new StoredEvent(source, offset, 0);
  const data = event.data;
  source.fill(0, offset); // Later reads must not look at the bytes again.
  assert.is(event.data, data);
  assert.equal(event.metadata, { schemaVersion: 1 });
  assert.is(event.malformed, undefined);
});

test('tells the store’s own events by their bytes', () => {
  const system = (content: Partial<NewRecord>) => {
    const { source, offset } = stored(content);
    return isSystemRecord(source, offset);
  };
  assert.ok(system({ type: '$metadata' }));
  assert.ok(system({ streamId: '$$build-x' }));
  assert.not.ok(system({}));
  assert.not.ok(system({ streamId: 'a$', type: 'T$' }));
});

test.run();
