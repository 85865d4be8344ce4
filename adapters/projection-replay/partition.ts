/**
 * Sharing projections out among replay threads. Each thread reads every event and folds its own
 * projections, so a replay takes as long as its slowest thread: the groups are balanced by weight
 * (the heaviest projection first, each to the lightest group so far).
 */

/** `names` in at most `groups` non-empty groups of about equal total weight (weight 1 when unknown). */
export function partitionByWeight(
  names: readonly string[],
  groups: number,
  weights: Readonly<Record<string, number>> = {},
): string[][] {
  const count = Math.max(1, Math.min(groups, names.length));
  const buckets = Array.from({ length: count }, () => ({ names: [] as string[], weight: 0 }));
  const weightOf = (name: string) => weights[name] ?? 1;
  const heaviestFirst = [...names].sort((a, b) => weightOf(b) - weightOf(a));
  for (const name of heaviestFirst) {
    const lightest = buckets.reduce((best, bucket) => (bucket.weight < best.weight ? bucket : best));
    lightest.names.push(name);
    lightest.weight += weightOf(name);
  }
  // In the order they were given within each group, so a thread folds them as the catalogue lists them.
  return buckets
    .filter((bucket) => bucket.names.length > 0)
    .map((bucket) => names.filter((name) => bucket.names.includes(name)));
}
