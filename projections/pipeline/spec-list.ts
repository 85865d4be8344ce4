/**
 * Lists of specification names (who wants a build, in the order they asked), shared between the
 * builds that have the same list. A farm has hundreds of thousands of builds but few distinct lists
 * (most builds are wanted by the same handful of specifications), so each build keeping its own
 * array and its own copies of the names, parsed from its events, was most of what a build cost.
 *
 * The lists form a tree from the empty one: a list grown by one name is looked up under the list it
 * grew from. A list that did not come from here (read from a snapshot) still works; it just shares
 * nothing until it grows. The tables live as long as the module and grow only with distinct lists.
 * Lists are never changed in place: a state, a snapshot or a query may hold any of them.
 */

import { interned } from '../shared/interned.ts';

/** The empty list, shared. */
export const noSpecs: readonly string[] = Object.freeze([]);

/** For a list, the lists one name longer, by that name. */
const grown = new WeakMap<readonly string[], Map<string, readonly string[]>>();

/** `specs` with `spec` at the end, shared with every other build that has the same list. */
function grow(specs: readonly string[], spec: string): readonly string[] {
  let next = grown.get(specs);
  if (next === undefined) {
    next = new Map();
    grown.set(specs, next);
  }
  const known = next.get(spec);
  if (known !== undefined) return known;
  const name = interned(spec);
  const list = Object.freeze([...specs, name]);
  next.set(name, list);
  return list;
}

/** `specs` with the specifications of `wanters` it lacks added in order; `specs` itself when it lacks none. */
export function withSpecs(
  specs: readonly string[],
  wanters: readonly { readonly spec: string }[],
): readonly string[] {
  let result = specs;
  for (const { spec } of wanters) if (!result.includes(spec)) result = grow(result, spec);
  return result;
}
