/** How a stored event's schema version is read: absent is 1, anything but a positive integer is refused. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeRecorded } from '../../../adapters/eventstore/read-domain-event.ts';

const data = { name: 'guix', by: 'user:alice' };
const stored = (metadata: Record<string, unknown>) => ({ type: 'SpecificationActivated', data, metadata });

test('reads an event stored without a schema version as version 1', () => {
  assert.ok(decodeRecorded(stored({})).ok);
  assert.ok(decodeRecorded(stored({ schemaVersion: 1 })).ok);
});

test('refuses a schema version that is not a positive integer, naming it, instead of guessing 1', () => {
  for (const schemaVersion of ['1', 2.5, 0, -1, null, true]) {
    const decoded = decodeRecorded(stored({ schemaVersion }));
    assert.is(decoded.ok, false, JSON.stringify(schemaVersion));
    if (decoded.ok) continue;
    assert.is(decoded.reason, 'unsupported-version');
    assert.match(decoded.detail, /metadata\.schemaVersion .* is not a positive integer/);
  }
});

test('refuses a version newer than the catalogue knows', () => {
  const decoded = decodeRecorded(stored({ schemaVersion: 7 }));
  assert.is(decoded.ok, false);
  assert.is(!decoded.ok && decoded.reason, 'unsupported-version');
});

test.run();
