/**
 * Turns a validated jobset into store derivations exactly as Nix's `derivation` builtin would for
 * the same attributes: `name`, `system`, `builder`, `outputs` (when declared) and the env entries
 * become the environment, placeholders become store paths and add the input derivation (with the
 * outputs used) or the source to the derivation's inputs. Pure: the source store paths come in.
 */
import { type Derivation, type DrvHash, instantiateDerivation } from '../../../domain/derivation/index.ts';
import type { JobSpec, Jobset } from './jobset-schema.ts';
import type { Piece } from './template.ts';

/** A job turned into a derivation. */
export interface InstantiatedJob {
  readonly name: string;
  readonly system: string;
  readonly drvPath: string;
  readonly drvText: string;
  readonly outputs: Readonly<Record<string, string>>;
}

interface Resolved {
  readonly inputDrvs: Map<string, Set<string>>;
  readonly inputSrcs: Set<string>;
}

/**
 * Instantiates every job, inputs first. `sourcePath` gives the store path of a source listed by a
 * job (its path in the checkout → `<storeDir>/<hash>-<basename>`).
 */
export function instantiateJobset(
  jobset: Jobset,
  sourcePath: (path: string) => string,
  storeDir: string,
): InstantiatedJob[] {
  const done = new Map<string, InstantiatedJob>();
  const byDrvPath = new Map<string, Derivation>();
  const memo = new Map<string, DrvHash>();
  const readDerivation = (drvPath: string) => {
    const drv = byDrvPath.get(drvPath);
    if (!drv) throw new Error(`${drvPath} is not a derivation of this jobset`);
    return drv;
  };
  for (const spec of jobset.jobs) {
    const used: Resolved = { inputDrvs: new Map(), inputSrcs: new Set() };
    const render = (pieces: readonly Piece[]) =>
      pieces.map((piece) => resolvePiece(piece, used, done, sourcePath)).join('');
    const env = new Map<string, string>([
      ['name', spec.drvName],
      ['system', spec.system],
      ['builder', render(spec.builder)],
    ]);
    if (spec.outputs) env.set('outputs', spec.outputs.join(' '));
    for (const [key, pieces] of spec.env) env.set(key, render(pieces));
    const args = spec.args.map(render);
    const instantiated = instantiateDerivation(
      {
        env,
        args,
        inputDrvs: new Map([...used.inputDrvs].map(([path, outputs]) => [path, [...outputs].sort()])),
        inputSrcs: [...used.inputSrcs].sort(),
      },
      { storeDir, readDerivation, memo },
    );
    byDrvPath.set(instantiated.drvPath, instantiated.drv);
    done.set(spec.job, toJob(spec, instantiated.drvPath, instantiated.text, instantiated.outputPaths));
  }
  return [...done.values()];
}

function toJob(
  spec: JobSpec,
  drvPath: string,
  drvText: string,
  outputPaths: ReadonlyMap<string, string>,
): InstantiatedJob {
  return { name: spec.job, system: spec.system, drvPath, drvText, outputs: Object.fromEntries(outputPaths) };
}

function resolvePiece(
  piece: Piece,
  used: Resolved,
  done: ReadonlyMap<string, InstantiatedJob>,
  sourcePath: (path: string) => string,
): string {
  if (typeof piece === 'string') return piece;
  if (piece.kind === 'source') {
    const path = sourcePath(piece.path);
    used.inputSrcs.add(path);
    return path;
  }
  // The schema has ordered inputs first and checked the output exists.
  const input = done.get(piece.job)!;
  const outputs = used.inputDrvs.get(input.drvPath) ?? new Set();
  outputs.add(piece.output);
  used.inputDrvs.set(input.drvPath, outputs);
  return input.outputs[piece.output]!;
}
