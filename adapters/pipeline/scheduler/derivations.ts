/**
 * Reading the `.drv` files an evaluation put in the store, and walking from a set of jobs down to
 * every derivation they need: the scheduler makes one build per derivation of that closure.
 */
import { readFile } from 'node:fs/promises';
import { type Derivation, parseDerivation, storePathBaseName } from '../../../domain/derivation/index.ts';

export async function readDerivation(drvPath: string): Promise<Derivation> {
  const name = storePathBaseName(drvPath).slice(33, -'.drv'.length);
  return parseDerivation(new Uint8Array(await readFile(drvPath)), name);
}

/**
 * Every derivation reachable from `roots` through `inputDrvs`, each read once, leaves first (a
 * derivation comes after all of its inputs). Files are read `concurrency` at a time, level by level:
 * a Guix-size closure is tens of thousands of small files, and one read at a time waits on each.
 */
export async function derivationClosure(
  roots: Iterable<string>,
  concurrency = 32,
): Promise<Map<string, Derivation>> {
  const read = new Map<string, Derivation>();
  let level = [...new Set(roots)];
  const seen = new Set(level);
  while (level.length > 0) {
    const next: string[] = [];
    let index = 0;
    const lane = async () => {
      while (index < level.length) {
        const drvPath = level[index++]!;
        const drv = await readDerivation(drvPath);
        read.set(drvPath, drv);
        for (const input of drv.inputDrvs.keys()) {
          if (seen.has(input)) continue;
          seen.add(input);
          next.push(input);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, level.length) }, lane));
    level = next;
  }
  return leavesFirst(read);
}

/** `read` in an order where each derivation follows its inputs (post-order, without recursion). */
function leavesFirst(read: ReadonlyMap<string, Derivation>): Map<string, Derivation> {
  const ordered = new Map<string, Derivation>();
  // A derivation entered but not yet ordered is on the stack; meeting it again would mean a cycle.
  const entered = new Set<string>();
  for (const root of read.keys()) {
    const stack: Array<[string, Iterator<string>]> = [];
    const enter = (path: string) => {
      if (!ordered.has(path)) stack.push([path, read.get(path)!.inputDrvs.keys()]);
    };
    if (entered.has(root)) continue;
    entered.add(root);
    enter(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const step = top[1].next();
      if (step.done) {
        stack.pop();
        ordered.set(top[0], read.get(top[0])!);
      } else if (!ordered.has(step.value) && !entered.has(step.value)) {
        entered.add(step.value);
        enter(step.value);
      }
    }
  }
  return ordered;
}
