/**
 * A binary min-heap whose items can also be removed by key in O(log n). The run queue keeps one per
 * (system, priority, specification) and one of deferred builds; a build wanted by several
 * specifications sits in several heaps and must leave all of them when one picks it, which a plain
 * heap (or a library heap whose removal scans) cannot do cheaply.
 */
export class IndexedHeap<T> {
  readonly #items: T[] = [];
  readonly #positions = new Map<string, number>();
  readonly #keyOf: (item: T) => string;
  readonly #before: (a: T, b: T) => boolean;

  /**
   * @param keyOf identifies an item; one item per key.
   * @param before true when `a` must come out before `b` (a strict order: ties must be broken).
   */
  constructor(keyOf: (item: T) => string, before: (a: T, b: T) => boolean) {
    this.#keyOf = keyOf;
    this.#before = before;
  }

  get size(): number {
    return this.#items.length;
  }

  /** The first item out, without taking it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  has(key: string): boolean {
    return this.#positions.has(key);
  }

  /** Adds `item`, replacing the item of the same key if there is one. */
  push(item: T): void {
    this.delete(this.#keyOf(item));
    this.#items.push(item);
    this.#positions.set(this.#keyOf(item), this.#items.length - 1);
    this.#siftUp(this.#items.length - 1);
  }

  /** Takes the first item out. */
  pop(): T | undefined {
    const first = this.#items[0];
    if (first !== undefined) this.delete(this.#keyOf(first));
    return first;
  }

  /** Removes the item of `key`; false when there was none. */
  delete(key: string): boolean {
    const index = this.#positions.get(key);
    if (index === undefined) return false;
    this.#positions.delete(key);
    const last = this.#items.pop()!;
    if (index === this.#items.length) return true;
    this.#place(last, index);
    this.#siftDown(index);
    this.#siftUp(index);
    return true;
  }

  #place(item: T, index: number): void {
    this.#items[index] = item;
    this.#positions.set(this.#keyOf(item), index);
  }

  #siftUp(index: number): void {
    const item = this.#items[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.#items[parentIndex]!;
      if (!this.#before(item, parent)) break;
      this.#place(parent, index);
      index = parentIndex;
    }
    this.#place(item, index);
  }

  #siftDown(index: number): void {
    const item = this.#items[index]!;
    const count = this.#items.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= count) break;
      const right = left + 1;
      const child = right < count && this.#before(this.#items[right]!, this.#items[left]!) ? right : left;
      if (!this.#before(this.#items[child]!, item)) break;
      this.#place(this.#items[child]!, index);
      index = child;
    }
    this.#place(item, index);
  }
}
