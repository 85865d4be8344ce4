import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AddedEntry,
  encodeAdd,
  encodeRemove,
  logHeader,
  logHeaderLength,
  logId,
  parseEntry,
} from '../../../adapters/store/valid-log-format.ts';

const test = suite('the valid-path log format');

const hashPart = `${'a'.repeat(31)}b`;
const fileHash = '0'.repeat(52);

test('an add entry reads back with its name, file hash, record and inline NAR', () => {
  const nar = new Uint8Array([1, 2, 3, 4, 5]);
  const bytes = Buffer.concat([
    Buffer.from('xx'),
    encodeAdd(`${hashPart}-hello-1.0`, fileHash, '{"a":1}', nar),
  ]);
  const parsed = parseEntry(bytes, 2, 1000);
  assert.is(parsed.status, 'entry');
  const entry = (parsed as { entry: AddedEntry }).entry;
  assert.ok(entry instanceof AddedEntry);
  assert.is(entry.hashPart, hashPart);
  assert.is(entry.name, 'hello-1.0');
  assert.is(entry.baseName, `${hashPart}-hello-1.0`);
  assert.is(entry.fileHash, fileHash);
  assert.is(entry.offset, 1002);
  assert.is(entry.end, 1000 + bytes.length);
  assert.is(
    bytes.toString('utf8', entry.jsonOffset - 1000, entry.jsonOffset - 1000 + entry.jsonLength),
    '{"a":1}',
  );
  assert.equal([...bytes.subarray(entry.narOffset - 1000, entry.end - 1000)], [1, 2, 3, 4, 5]);
});

test('a remove entry names every hash part', () => {
  const parts = ['0'.repeat(32), '1'.repeat(32), 'z'.repeat(32)];
  const parsed = parseEntry(encodeRemove(parts), 0, 0);
  assert.equal(parsed.status === 'entry' && parsed.entry.kind === 'remove' && parsed.entry.hashParts, parts);
});

test('an entry cut anywhere short is incomplete, never an entry', () => {
  const bytes = encodeAdd(`${hashPart}-x`, fileHash, '{"record":true}', new Uint8Array(100));
  for (let length = 0; length < bytes.length; length++) {
    assert.is(parseEntry(bytes.subarray(0, length), 0, 0).status, 'incomplete', `cut at ${length}`);
  }
  const removal = encodeRemove(['0'.repeat(32)]);
  assert.is(parseEntry(removal.subarray(0, removal.length - 1), 0, 0).status, 'incomplete');
});

test('a flipped byte, an unknown kind or a bad header is damage', () => {
  const bytes = encodeAdd(`${hashPart}-x`, fileHash, '{"record":true}');
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 3]! ^= 0x20;
  assert.equal(parseEntry(flipped, 0, 0), { status: 'damaged', detail: 'a checksum mismatch' });
  assert.is(parseEntry(Buffer.from('Q 1 2\nxx'), 0, 0).status, 'damaged');
  assert.is(parseEntry(Buffer.from(`A ${hashPart}-x ${fileHash} zz 0 0\n`), 0, 0).status, 'damaged');
  assert.is(
    parseEntry(Buffer.from(`A ../etc-x ${fileHash} 1 0 0\n{`), 0, 0).status,
    'damaged',
    'a name that is no store name',
  );
  assert.is(parseEntry(Buffer.alloc(600, 0x41), 0, 0).status, 'damaged', 'a header with no end');
  assert.is(parseEntry(Buffer.alloc(600, 0), 0, 0).status, 'damaged', 'zeros a crash left');
});

test('each new log has its own id in its first line', () => {
  const first = logHeader();
  const second = logHeader();
  assert.is(first.length, logHeaderLength);
  assert.ok(logId(first));
  assert.is.not(logId(first), logId(second));
  assert.is(logId(Buffer.from('tally valid-path log 2 0123456789abcdef\n')), undefined);
});

test.run();
