/**
 * The roots that come from the farm's state rather than from the store: the outputs of each active
 * specification's latest evaluations, and what unfinished builds need. Read models will implement
 * it; `createEventStoreRootSource` reads the events directly until then.
 */

/** Where a collection learns which paths the farm still needs. */
export interface GcRootSource {
  /**
   * Store paths to keep (their closures are kept by the collection): outputs of the latest
   * `keepEvaluations` completed evaluations of every active specification, and the derivations and
   * inputs of every queued, dispatched or building build. Paths that are not valid are ignored.
   */
  liveRoots(): Promise<Iterable<string>>;
}

/** A fixed set of roots (tests, and a farm with no event store). */
export function staticRootSource(paths: Iterable<string>): GcRootSource {
  const roots = [...paths];
  return { liveRoots: async () => roots };
}
