/**
 * Arrays made exactly as long as they need to be. A read model keeps its arrays for good: one grown
 * by `push` or `[...a, x]` keeps room for about 16 more elements, and `concat` of a few items costs
 * several times a copy by hand.
 */

/** `list` and then `items`, in a new array exactly as long. */
export function appended<T>(list: readonly T[], ...items: T[]): T[] {
  const next = new Array<T>(list.length + items.length);
  for (let i = 0; i < list.length; i++) next[i] = list[i]!;
  for (let i = 0; i < items.length; i++) next[list.length + i] = items[i]!;
  return next;
}

/** `list` with `item` inserted at `index`, in a new array exactly as long. */
export function inserted<T>(list: readonly T[], index: number, item: T): T[] {
  const next = new Array<T>(list.length + 1);
  for (let i = 0; i < index; i++) next[i] = list[i]!;
  next[index] = item;
  for (let i = index; i < list.length; i++) next[i + 1] = list[i]!;
  return next;
}
