import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  array,
  boolean,
  defaulted,
  integer,
  isoTime,
  literal,
  nullable,
  object,
  optional,
  record,
  type Schema,
  string,
  text,
} from '../../../domain/shared/schema.ts';

const test = suite('schema checkers');

interface Item {
  readonly name: string;
  readonly sizes: readonly number[];
}
const item = object<Item>({ name: text, sizes: array(integer({ min: 0 })) });
const list = object<{ items: readonly Item[] }>({ items: array(item) });

const paths = (schema: Schema<unknown>, value: unknown, path = 'data') => {
  const checked = schema(value, path);
  return checked.ok ? [] : checked.issues.map((issue) => `${issue.path}: ${issue.message}`);
};

test('names the path of every bad field, the same on every call and under every parent', () => {
  const value = {
    items: [
      { name: 'a', sizes: [1, 2] },
      { name: '', sizes: [1, -1] },
      { name: 'c', sizes: 'x' },
    ],
  };
  const expected = [
    'data.items[1].name: must not be empty',
    'data.items[1].sizes[1]: must be at least 0',
    'data.items[2].sizes: expected an array, got string',
  ];
  assert.equal(paths(list, value), expected);
  assert.equal(paths(list, value), expected);
  assert.equal(paths(list, value, 'other'), [
    'other.items[1].name: must not be empty',
    'other.items[1].sizes[1]: must be at least 0',
    'other.items[2].sizes: expected an array, got string',
  ]);
  assert.equal(paths(list, value, ''), [
    'items[1].name: must not be empty',
    'items[1].sizes[1]: must be at least 0',
    'items[2].sizes: expected an array, got string',
  ]);
});

test('names items of arrays of any length, longer ones after shorter ones and back', () => {
  const sizes = (length: number, bad: number) => Array.from({ length }, (_, i) => (i === bad ? -1 : i));
  const check = (length: number, bad: number) =>
    paths(item, { name: 'n', sizes: sizes(length, bad) }, `data.items[${length}]`);
  assert.equal(check(3, 2), ['data.items[3].sizes[2]: must be at least 0']);
  assert.equal(check(5000, 4321), ['data.items[5000].sizes[4321]: must be at least 0']);
  assert.equal(check(3000, 2999), ['data.items[3000].sizes[2999]: must be at least 0']);
  assert.equal(check(3, 1), ['data.items[3].sizes[1]: must be at least 0']);
  // Many distinct parents: past the ones kept, paths are still built right.
  for (let parent = 0; parent < 600; parent++) assert.equal(check(parent + 1, parent).length, 1);
  assert.equal(check(600, 599), ['data.items[600].sizes[599]: must be at least 0']);
});

test('keeps the checked values and drops unknown fields', () => {
  const checked = list({ items: [{ name: 'a', sizes: [1], extra: true }] }, 'data');
  assert.equal(checked, { ok: true, value: { items: [{ name: 'a', sizes: [1] }] } });
});

interface Mixed {
  readonly kind: 'a' | 'b';
  readonly at: string;
  readonly flag: boolean;
  readonly size?: number | null;
  readonly note?: string;
  readonly tags: readonly string[];
  readonly code: string;
  readonly level: number;
}
const mixed = object<Mixed>({
  kind: literal('a', 'b'),
  at: isoTime,
  flag: boolean,
  size: optional(nullable(integer({ min: 1, max: 9 }))),
  note: optional(string({ maxLength: 3 })),
  tags: array(string({ pattern: /^t\d$/ })),
  code: string({ pattern: /^c+$/, minLength: 2 }),
  level: defaulted(integer(), 5),
});

test('accepts plain fields as they are, missing optional ones left out and defaults filled in', () => {
  const good = {
    kind: 'b',
    at: '2024-05-01T00:00:00Z',
    flag: false,
    size: null,
    tags: ['t1', 't2'],
    code: 'cc',
  };
  for (let i = 0; i < 3; i++) {
    assert.equal(mixed(good, 'data'), { ok: true, value: { ...good, level: 5 } });
    assert.equal(mixed({ ...good, size: 3, note: 'abc', level: 2 }, 'data'), {
      ok: true,
      value: { ...good, size: 3, note: 'abc', level: 2 },
    });
  }
});

test('reports every bad plain field with the message its checker gives', () => {
  const bad = {
    kind: 'c',
    at: '2024-05-01',
    flag: 'yes',
    size: 10,
    note: 'abcd',
    tags: ['t1', 'x', 7],
    code: 'dd',
    level: 1.5,
  };
  assert.equal(paths(mixed, bad), [
    'data.kind: expected one of a, b',
    'data.at: expected an ISO 8601 time such as 2024-05-01T12:00:00Z',
    'data.flag: expected a boolean, got string',
    'data.size: must be at most 9',
    'data.note: longer than 3 characters',
    'data.tags[1]: must match ^t\\d$',
    'data.tags[2]: expected a string, got number',
    'data.code: must match ^c+$',
    'data.level: expected an integer, got number',
  ]);
  assert.equal(paths(mixed, { ...bad, size: 0, kind: 'a' }).slice(0, 3), [
    'data.at: expected an ISO 8601 time such as 2024-05-01T12:00:00Z',
    'data.flag: expected a boolean, got string',
    'data.size: must be at least 1',
  ]);
});

test('an ISO time must name a real calendar day and hour, not one Date.parse rolls over', () => {
  const at = object<{ at: string }>({ at: isoTime });
  for (const real of ['2024-02-29T00:00:00Z', '2000-02-29T23:59:59.5+02:00', '2023-12-31T00:00:00-05:30'])
    assert.equal(paths(at, { at: real }), [], real);
  for (const rolled of [
    '2024-02-31T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-01-00T00:00:00Z',
    '2024-01-01T24:00:00Z',
  ])
    assert.equal(
      paths(at, { at: rolled }),
      ['data.at: expected an ISO 8601 time such as 2024-05-01T12:00:00Z'],
      rolled,
    );
});

test('keeps a record key named __proto__ as a member of its own', () => {
  const input = JSON.parse('{"__proto__": "/nix/store/a", "out": "/nix/store/b"}');
  const checked = record(text, { minKeys: 1 })(input, 'outputs');
  assert.ok(checked.ok);
  if (!checked.ok) return;
  assert.equal(Object.keys(checked.value), ['__proto__', 'out']);
  assert.is(Object.getPrototypeOf(checked.value), Object.prototype);
  assert.is(JSON.stringify(checked.value), '{"__proto__":"/nix/store/a","out":"/nix/store/b"}');
});

test.run();
