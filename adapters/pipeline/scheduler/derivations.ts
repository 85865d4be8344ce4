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

/** Every derivation reachable from `roots` through `inputDrvs`, each read once, leaves first. */
export async function derivationClosure(roots: Iterable<string>): Promise<Map<string, Derivation>> {
  const closure = new Map<string, Derivation>();
  const visiting = new Set<string>();
  const visit = async (drvPath: string): Promise<void> => {
    if (closure.has(drvPath) || visiting.has(drvPath)) return;
    visiting.add(drvPath);
    const drv = await readDerivation(drvPath);
    for (const input of drv.inputDrvs.keys()) await visit(input);
    closure.set(drvPath, drv);
  };
  for (const root of roots) await visit(root);
  return closure;
}
