import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isoOf, msOf, storedTime } from '../../../projections/shared/stored-time.ts';

const test = suite('stored times');

test('keeps a time as toISOString writes it as epoch milliseconds, and gives the same text back', () => {
  const text = '2024-05-01T12:34:56.789Z';
  const kept = storedTime(text);
  assert.is(kept, Date.parse(text));
  assert.is(isoOf(kept), text);
});

test('keeps any other spelling of a time as its text, so answers show what the event said', () => {
  for (const text of ['2024-05-01T12:00:00Z', '2024-05-01T14:00:00.000+02:00', '2024-05-01T12:00:00.5Z']) {
    assert.is(storedTime(text), text);
    assert.is(isoOf(storedTime(text)), text);
    assert.is(msOf(storedTime(text)), Date.parse(text));
  }
});

test('keeps as text what Date.UTC would misread (years before 100) or what is no real date, and gives it back', () => {
  for (const text of ['0050-01-01T00:00:00.000Z', '2023-02-29T00:00:00.000Z']) {
    assert.is(storedTime(text), text);
    assert.is(isoOf(storedTime(text)), text);
  }
});

test.run();
