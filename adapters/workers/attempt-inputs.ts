/**
 * What an attempt needs before its builder runs: its derivation, read from the store directory
 * (the evaluation put it there), every store path it reads (its sources and the outputs it uses of
 * its input derivations) checked valid in the store, and the closure of their references, which
 * the builder scans outputs for. Anything missing is the farm's fault, not the derivation's: it is
 * thrown as an `InfrastructureFailure` that says which path.
 */
import { readFile } from 'node:fs/promises';
import { type Derivation, parseDerivation, storePathBaseName } from '../../domain/derivation/index.ts';
import type { Store } from '../store/store.ts';

/** A failure of the farm around a build (a missing input, an unreadable derivation). */
export class InfrastructureFailure extends Error {}

/** The derivation at `drvPath`, parsed; an `InfrastructureFailure` when it cannot be read or parsed. */
export async function readStoreDerivation(drvPath: string): Promise<Derivation> {
  try {
    const name = storePathBaseName(drvPath).slice(33, -'.drv'.length);
    return parseDerivation(new Uint8Array(await readFile(drvPath)), name);
  } catch (error) {
    throw new InfrastructureFailure(
      `the derivation ${drvPath} cannot be read from the store: ${(error as Error).message}`,
    );
  }
}

/** The store paths a build reads: its sources and the outputs it uses of its input derivations. */
export async function inputsOf(drv: Derivation): Promise<string[]> {
  const paths = [...drv.inputSrcs];
  for (const [drvPath, outputs] of drv.inputDrvs) {
    const input = await readStoreDerivation(drvPath);
    for (const output of outputs) {
      const path = input.outputs.get(output)?.path;
      if (!path) throw new InfrastructureFailure(`the input derivation ${drvPath} has no output '${output}'`);
      paths.push(path);
    }
  }
  return paths;
}

/**
 * Every path the inputs refer to, transitively, the inputs included; each input must be valid (a
 * path it refers to is valid too, as the store registers nothing before its references).
 */
export async function inputClosure(store: Store, inputs: readonly string[]): Promise<string[]> {
  const seen = new Set<string>();
  for (const input of inputs) {
    if (!(await store.has(input))) {
      throw new InfrastructureFailure(
        `the input ${input} is not valid in the store; build or substitute it before this derivation`,
      );
    }
  }
  const pending = [...inputs];
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (seen.has(path)) continue;
    const info = await store.info(path);
    if (!info)
      throw new InfrastructureFailure(`the path ${path}, needed by an input, is not valid in the store`);
    seen.add(path);
    pending.push(...info.references);
  }
  return [...seen].sort();
}
