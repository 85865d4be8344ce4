/**
 * Helpers every test file uses: uvu has no per-test timeout and no assertion for rejected promises.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';

/** Fails the test if `work` has not settled within `ms` milliseconds; passes uvu's context through. */
export function withTimeout<C, T>(ms: number, work: (context: C) => Promise<T>): (context: C) => Promise<T> {
  return async (context: C) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`test timed out after ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([work(context), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Asserts that `promise` rejects, and that the error matches `check` when given; returns the error. */
export async function rejects(
  promise: Promise<unknown> | (() => Promise<unknown>),
  check?: RegExp | ((error: unknown) => boolean),
): Promise<unknown> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (check instanceof RegExp) {
      assert.match(String((error as Error)?.message ?? error), check);
    } else if (check && !check(error)) {
      assert.unreachable(`rejected with an unexpected error: ${String(error)}`);
    }
    return error;
  }
  assert.unreachable('expected the promise to reject, but it resolved');
  return undefined;
}

/** Creates a fresh temporary directory; the returned `cleanup` removes it. */
export async function tempDir(
  prefix = 'tally-test-',
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Every item of an async iterable, in order (Node 20 has no `Array.fromAsync`). */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
