/**
 * Small run-time checkers for data that crosses a boundary (stored events, specification input).
 * Each checker is typed against the TypeScript type it guards, so a schema that drifts from its type
 * fails to compile, and each failure names the field path (`channels[1].url`).
 */
import { isIsoTime } from './time.ts';

/** One problem with the input: where it is and what is wrong. */
export interface Issue {
  /** Path from the root, e.g. `channels[1].url`; empty for the root itself. */
  readonly path: string;
  readonly message: string;
}

/** The checked value, or every issue found. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly Issue[] };

/** Checks an unknown value found at `path`. */
export type Schema<T> = (value: unknown, path: string) => Checked<T>;

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = (path: string, message: string): Checked<never> => ({ ok: false, issues: [{ path, message }] });
const describe = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
const at = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/**
 * For checkers of plain values (strings, numbers, literals…): a test that is true exactly when the
 * checker would accept the value as it is. Objects and arrays use it to skip building a result per
 * field; the checker itself still runs on failure, for the issue.
 */
const passesAsIs = new WeakMap<Schema<unknown>, (value: unknown) => boolean>();

function plain<T>(schema: Schema<T>, test: (value: unknown) => boolean): Schema<T> {
  passesAsIs.set(schema, test);
  return schema;
}

/** A string, optionally bounded and matching a pattern. */
export function string(
  rules: { pattern?: RegExp; minLength?: number; maxLength?: number } = {},
): Schema<string> {
  const { pattern, minLength = 0, maxLength = Number.POSITIVE_INFINITY } = rules;
  const schema: Schema<string> = (value, path) => {
    if (typeof value !== 'string') return fail(path, `expected a string, got ${describe(value)}`);
    if (value.length < minLength)
      return fail(path, minLength === 1 ? 'must not be empty' : `shorter than ${minLength}`);
    if (value.length > maxLength) return fail(path, `longer than ${maxLength} characters`);
    if (pattern && !pattern.test(value)) return fail(path, `must match ${pattern.source}`);
    return ok(value);
  };
  // A global or sticky pattern remembers where it stopped: testing twice could answer differently.
  if (pattern?.global || pattern?.sticky) return schema;
  return plain(
    schema,
    (value) =>
      typeof value === 'string' &&
      value.length >= minLength &&
      value.length <= maxLength &&
      (!pattern || pattern.test(value)),
  );
}

/** A non-empty string. */
export const text: Schema<string> = string({ minLength: 1 });

/** An ISO 8601 time with a zone. */
export const isoTime: Schema<string> = plain(
  (value, path) =>
    isIsoTime(value) ? ok(value) : fail(path, 'expected an ISO 8601 time such as 2024-05-01T12:00:00Z'),
  isIsoTime,
);

/** A safe integer within bounds. */
export function integer(rules: { min?: number; max?: number } = {}): Schema<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = rules;
  return plain(
    (value, path) => {
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        return fail(path, `expected an integer, got ${describe(value)}`);
      if (value < min) return fail(path, `must be at least ${min}`);
      if (value > max) return fail(path, `must be at most ${max}`);
      return ok(value);
    },
    (value) => Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max,
  );
}

/** An integer ≥ 0. */
export const count: Schema<number> = integer({ min: 0 });

export const boolean: Schema<boolean> = plain(
  (value, path) =>
    typeof value === 'boolean' ? ok(value) : fail(path, `expected a boolean, got ${describe(value)}`),
  (value) => typeof value === 'boolean',
);

/** One of the given literal values. */
export function literal<const T extends string | number | boolean>(...values: readonly T[]): Schema<T> {
  const test = (value: unknown) => values.includes(value as T);
  return plain(
    (value, path) => (test(value) ? ok(value as T) : fail(path, `expected one of ${values.join(', ')}`)),
    test,
  );
}

/** The value may be missing (`undefined`); missing keys stay missing in the output. */
export function optional<T>(schema: Schema<T>): Schema<T | undefined> {
  const optionalSchema: Schema<T | undefined> = (value, path) =>
    value === undefined ? ok(undefined) : schema(value, path);
  const test = passesAsIs.get(schema);
  return test ? plain(optionalSchema, (value) => value === undefined || test(value)) : optionalSchema;
}

/** The value may be missing, in which case it is `fallback`. */
export function defaulted<T>(schema: Schema<T>, fallback: T): Schema<T> {
  return (value, path) => (value === undefined ? ok(fallback) : schema(value, path));
}

/** The value may be `null`. */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  const nullableSchema: Schema<T | null> = (value, path) => (value === null ? ok(null) : schema(value, path));
  const test = passesAsIs.get(schema);
  return test ? plain(nullableSchema, (value) => value === null || test(value)) : nullableSchema;
}

/** An array whose every item passes `item`. */
export function array<T>(item: Schema<T>, rules: { minLength?: number } = {}): Schema<readonly T[]> {
  const itemPaths = new ChildPaths((path, index: number) => `${path}[${index}]`);
  const passes = passesAsIs.get(item as Schema<unknown>);
  return (value, path) => {
    if (!Array.isArray(value)) return fail(path, `expected an array, got ${describe(value)}`);
    if (value.length < (rules.minLength ?? 0)) return fail(path, `needs at least ${rules.minLength} item(s)`);
    let paths: readonly string[] | undefined;
    const out: T[] = [];
    const issues: Issue[] = [];
    for (let index = 0; index < value.length; index++) {
      const entry = value[index];
      if (passes?.(entry)) {
        out.push(entry as T);
        continue;
      }
      if (paths === undefined) paths = itemPaths.of(path, value.length);
      const checked = item(entry, paths[index]!);
      if (checked.ok) out.push(checked.value);
      else issues.push(...checked.issues);
    }
    return issues.length === 0 ? ok(out) : { ok: false, issues };
  };
}

/** A plain object used as a map from string keys to values that pass `item`. */
export function record<T>(
  item: Schema<T>,
  rules: { minKeys?: number } = {},
): Schema<Readonly<Record<string, T>>> {
  return (value, path) => {
    if (!isPlainObject(value)) return fail(path, `expected an object, got ${describe(value)}`);
    const entries = Object.entries(value);
    if (entries.length < (rules.minKeys ?? 0)) return fail(path, `needs at least ${rules.minKeys} key(s)`);
    const out: Record<string, T> = {};
    const issues: Issue[] = [];
    for (const [key, entry] of entries) {
      const checked = item(entry, at(path, key));
      // Defined, not assigned: a key named `__proto__` (a derivation may name an output so) is a
      // member like any other, not the object's prototype.
      if (checked.ok)
        Object.defineProperty(out, key, {
          value: checked.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else issues.push(...checked.issues);
    }
    return issues.length === 0 ? ok(out) : { ok: false, issues };
  };
}

/** The keys of `T` whose value may be missing. */
type OptionalKeys<T> = Exclude<{ [K in keyof T]: undefined extends T[K] ? K : never }[keyof T], undefined>;

/** One checker per property of `T`; optional properties take checkers that accept `undefined`. */
export type Shape<T> = {
  readonly [K in keyof T]-?: K extends OptionalKeys<T> ? Schema<T[K] | undefined> : Schema<T[K]>;
};

/**
 * An object with exactly the properties of `shape`. Unknown properties are dropped, or refused when
 * `strict` (input typed by people, where an unknown key is a typo).
 */
export function object<T>(shape: Shape<T>, options: { strict?: boolean } = {}): Schema<T> {
  const keys = Object.keys(shape);
  const checks = Object.values(shape) as Schema<unknown>[];
  const tests = checks.map((check) => passesAsIs.get(check));
  const fieldPaths = new ChildPaths((path, index) => at(path, keys[index]!));
  return (value, path) => {
    if (!isPlainObject(value)) return fail(path, `expected an object, got ${describe(value)}`);
    // Only checkers that need the path get it: most fields pass their test without one.
    let paths: readonly string[] | undefined;
    const out: Record<string, unknown> = {};
    const issues: Issue[] = [];
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index]!;
      const field = value[key];
      if (tests[index]?.(field)) {
        if (field !== undefined) out[key] = field;
        continue;
      }
      if (paths === undefined) paths = fieldPaths.of(path, keys.length);
      const checked = checks[index]!(field, paths[index]!);
      if (!checked.ok) issues.push(...checked.issues);
      else if (checked.value !== undefined) out[key] = checked.value;
    }
    if (options.strict) {
      for (const key of Object.keys(value))
        if (!(key in shape)) issues.push({ path: at(path, key), message: 'unknown field' });
    }
    return issues.length === 0 ? ok(out as T) : { ok: false, issues };
  };
}

/** A union discriminated by `tag`, one checker per variant. */
export function tagged<T extends Record<Tag, string>, Tag extends string>(
  tag: Tag,
  variants: { readonly [K in T[Tag]]: Schema<Extract<T, Record<Tag, K>>> },
): Schema<T> {
  const known = Object.keys(variants);
  return (value, path) => {
    if (!isPlainObject(value)) return fail(path, `expected an object, got ${describe(value)}`);
    const kind = value[tag];
    if (typeof kind !== 'string' || !Object.hasOwn(variants, kind))
      return fail(at(path, tag), `expected one of ${known.join(', ')}`);
    return (variants as Record<string, Schema<T>>)[kind]!(value, path);
  };
}

/** Adds a rule on top of a checker: `rule` returns an issue message, or `undefined` when satisfied. */
export function refine<T>(schema: Schema<T>, rule: (value: T) => string | undefined): Schema<T> {
  return (value, path) => {
    const checked = schema(value, path);
    if (!checked.ok) return checked;
    const problem = rule(checked.value);
    return problem === undefined ? checked : fail(path, problem);
  };
}

/**
 * The paths of a checker's children (`data.spec`, `wantedBy[3]`) by parent path, kept: stored events
 * are checked by the hundred thousand at the same few paths, and building every child's path anew
 * for each was a large share of the checks' cost. Only the first `maxParents` parents are kept,
 * and a parent's first `maxChildren` children, so input with ever new paths (long arrays, arrays of
 * arrays) costs what it did and no more memory.
 */
class ChildPaths {
  private static readonly maxParents = 256;
  private static readonly maxChildren = 1024;
  private readonly byParent = new Map<string, string[]>();

  constructor(private readonly childPath: (parent: string, index: number) => string) {}

  /** At least `count` child paths under `parent`. */
  of(parent: string, count: number): readonly string[] {
    let paths = this.byParent.get(parent);
    if (paths === undefined) {
      paths = [];
      if (this.byParent.size < ChildPaths.maxParents && count <= ChildPaths.maxChildren)
        this.byParent.set(parent, paths);
    } else if (count > ChildPaths.maxChildren) paths = paths.slice();
    for (let index = paths.length; index < count; index++) paths.push(this.childPath(parent, index));
    return paths;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
