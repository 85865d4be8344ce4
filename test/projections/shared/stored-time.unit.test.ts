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

test('writes epoch milliseconds exactly as toISOString does, whatever the day, year or sign', () => {
  const edges = [
    0, -1, 1, 86_399_999, 86_400_000, -62_198_755_200_000, 253_402_300_799_999, 253_402_300_800_000,
  ];
  const limits = [
    -8.64e15, 8.64e15, 951_782_400_000 /* 2000-02-29 */, 1_709_164_799_999 /* 2024-02-28 end */,
  ];
  let state = 12345;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const sampled = Array.from({ length: 20_000 }, () => Math.floor((random() * 2 - 1) * 1e14));
  for (const ms of [...edges, ...limits, ...sampled])
    assert.is(isoOf(ms), new Date(ms).toISOString(), String(ms));
});

test.run();
