/** Bounds a wait, so that no single phase or cleanup step can hang the whole bench run. */

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** Resolves or rejects as `promise` does, or rejects with a `TimeoutError` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
