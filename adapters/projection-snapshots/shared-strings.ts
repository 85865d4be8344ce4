/**
 * One copy of each repeated string in a state read back from a snapshot. A folded state shares its
 * strings (names are interned, a derivation's path is the same string in every evaluation that lists
 * it), but `JSON.parse` makes a new string for every occurrence: at full bench scale the evaluations
 * read model took 285 MiB read back against 79 MiB folded. A larger heap is not only memory: every
 * young-generation collection of the server visits each old-generation page, so its pauses, and the
 * API's tail latency, grow with the heap.
 */

/** Longer strings (log excerpts, messages) seldom repeat; leaving them out keeps the table small. */
const longest = 160;

export type StringCopies = Map<string, string>;

function share(text: string, copies: StringCopies): string {
  if (text.length > longest) return text;
  const known = copies.get(text);
  if (known !== undefined) return known;
  copies.set(text, text);
  return text;
}

/**
 * Replaces, in place, every string inside `value` (a freshly parsed JSON value nobody else holds) by
 * the first equal one `copies` has seen; returns `value`, or its shared copy when it is a string.
 */
export function shareStrings(value: unknown, copies: StringCopies): unknown {
  if (typeof value === 'string') return share(value, copies);
  if (typeof value !== 'object' || value === null) return value;
  const pending: object[] = [value];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const entry: unknown = node[i];
        if (typeof entry === 'string') node[i] = share(entry, copies);
        else if (typeof entry === 'object' && entry !== null) pending.push(entry);
      }
      continue;
    }
    const record = node as Record<string, unknown>;
    for (const key in record) {
      const entry = record[key];
      if (typeof entry === 'string') record[key] = share(entry, copies);
      else if (typeof entry === 'object' && entry !== null) pending.push(entry);
    }
  }
  return value;
}
