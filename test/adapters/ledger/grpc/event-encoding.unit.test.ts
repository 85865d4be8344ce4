import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { eventResponse } from '../../../../adapters/ledger/grpc/convert.ts';
import { encodeEventResponse } from '../../../../adapters/ledger/grpc/event-encoding.ts';
import type { LogRecord } from '../../../../adapters/ledger/storage/storage.ts';

const test = suite('encodeEventResponse');

const record = (overrides: Partial<LogRecord> = {}): LogRecord => ({
  position: 123_456_789,
  streamId: 'build-0123abc',
  revision: 42,
  eventId: '5f0e6a9c-1b2d-4e3f-8a7b-9c0d1e2f3a4b',
  type: 'BuildQueued',
  contentType: 'application/json',
  created: 1_795_465_380_929_123,
  data: new TextEncoder().encode('{"drv":"/nix/store/x.drv"}'),
  metadata: new TextEncoder().encode('{"actor":"scheduler"}'),
  ...overrides,
});

const same = (r: LogRecord, format: 'string' | 'structured') =>
  assert.equal(
    Array.from(encodeEventResponse(r, format)),
    Array.from(eventResponse(r, format).serializeBinary()),
  );

test('matches the generated classes byte for byte for a typical event', () => {
  same(record(), 'string');
  same(record(), 'structured');
});

test('matches them at zero values, empty payloads, unicode names and huge positions', () => {
  same(record({ position: 0, revision: 0, data: new Uint8Array(), metadata: new Uint8Array() }), 'string');
  same(record({ streamId: 'spec-größe-😀', type: 'Tëst' }), 'string');
  same(record({ position: Number.MAX_SAFE_INTEGER, revision: 2 ** 40 }), 'structured');
  same(record({ eventId: 'ffffffff-ffff-ffff-ffff-ffffffffffff' }), 'structured');
  same(record({ eventId: '00000000-0000-0000-0000-000000000000' }), 'structured');
});

test('matches them for any event', () => {
  fc.assert(
    fc.property(
      fc.record({
        position: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        revision: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        streamId: fc.string({ minLength: 1 }),
        type: fc.string({ minLength: 1 }),
        eventId: fc.uuid(),
        data: fc.uint8Array({ maxLength: 300 }),
        metadata: fc.uint8Array({ maxLength: 50 }),
        created: fc.integer({ min: 0, max: 4_000_000_000_000_000 }),
      }),
      fc.constantFrom<'string' | 'structured'>('string', 'structured'),
      (fields, format) => {
        same({ ...fields, contentType: 'application/json' }, format);
      },
    ),
    { numRuns: 500 },
  );
});

test.run();
