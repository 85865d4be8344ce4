/**
 * Jobs for a pipeline row: real `.drv` files in a store directory of the row's own, and the
 * specification they belong to.
 */
import { writeFile } from 'node:fs/promises';
import type { DrvHash } from '../../../domain/derivation/hash-modulo.ts';
import { type Derivation, instantiateDerivation } from '../../../domain/derivation/index.ts';
import type { Job } from '../../../domain/evaluation/job.ts';
import type { Specification } from '../../../domain/specification/specification.ts';

export const benchSystem = 'x86_64-linux';

/** A specification of one channel nothing polls, for jobs of `benchSystem`. */
export function benchSpec(name: string): Specification {
  return {
    name,
    channels: [{ name: 'main', url: '/nowhere', branch: 'main' }],
    evaluator: { kind: 'native', entry: 'tally.jobs.json' },
    systems: [benchSystem],
    priority: 0,
    pollingPeriodSeconds: 0,
    buildLimits: { timeoutSeconds: 60, maxSilentSeconds: 60, maxLogBytes: 1 << 20 },
    retries: 0,
    keepEvaluations: 1,
    active: true,
  };
}

/** The derivations written so far, which later ones may take as inputs. */
export interface WrittenDerivations {
  readonly storeDir: string;
  readonly derivations: Map<string, Derivation>;
  readonly memo: Map<string, DrvHash>;
}

export function writtenDerivations(storeDir: string): WrittenDerivations {
  return { storeDir, derivations: new Map(), memo: new Map() };
}

/** Writes job `name`'s derivation (`/bin/sh -c 'echo built > $out'`), taking `inputs`' outputs. */
export async function writeJob(
  written: WrittenDerivations,
  name: string,
  inputs: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<Job> {
  const env = new Map([
    ['name', name],
    ['system', benchSystem],
    ['builder', '/bin/sh'],
  ]);
  const made = instantiateDerivation(
    { env, args: ['-c', 'echo built > $out'], inputDrvs: inputs },
    {
      storeDir: written.storeDir,
      readDerivation: (path) => written.derivations.get(path)!,
      memo: written.memo,
    },
  );
  written.derivations.set(made.drvPath, made.drv);
  await writeFile(made.drvPath, made.text);
  return { name, system: benchSystem, drvPath: made.drvPath, outputs: { out: made.outputPaths.get('out')! } };
}
