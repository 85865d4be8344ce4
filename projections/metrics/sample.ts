/**
 * A bounded sample of numbers with exact count, sum and max: every value is kept up to `capacity`,
 * then a reservoir (Algorithm R) keeps a uniform sample. The replacement slot comes from a hash of
 * the value's key and the count, not from a random generator, so replays agree.
 */

export interface Sample {
  readonly count: number;
  readonly sum: number;
  readonly max: number;
  readonly values: readonly number[];
}

/** Values kept per sample: exact percentiles for days with fewer, close ones beyond. */
export const sampleCapacity = 512;

export const emptySample: Sample = { count: 0, sum: 0, max: 0, values: [] };

function hash(key: string, count: number): number {
  let h = 0x811c9dc5 ^ count;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

/** The sample with one more value; `key` names what was measured (a derivation, an evaluation). */
export function addToSample(sample: Sample, value: number, key: string, capacity = sampleCapacity): Sample {
  const count = sample.count + 1;
  const sum = sample.sum + value;
  const max = sample.count === 0 ? value : Math.max(sample.max, value);
  if (sample.values.length < capacity) return { count, sum, max, values: [...sample.values, value] };
  const slot = hash(key, count) % count;
  if (slot >= capacity) return { count, sum, max, values: sample.values };
  return { count, sum, max, values: sample.values.with(slot, value) };
}

/** The nearest-rank percentile (`p` in 0–100) of the kept values, or `null` for an empty sample. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function sortedValues(sample: Sample): number[] {
  return [...sample.values].sort((a, b) => a - b);
}
