/**
 * Small derivations for builder tests, made with the domain's `instantiateDerivation` (what Nix's
 * `derivation` builtin does) and written into a store directory, so builders find their inputs.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { BuildLimits } from '../../../adapters/builders/builder.ts';
import {
  type Derivation,
  type Instantiated,
  instantiateDerivation,
  parseDerivation,
  storePathBaseName,
} from '../../../domain/derivation/index.ts';

export interface TestDrv extends Instantiated {
  readonly out: string;
}

export interface DrvSpec {
  readonly name: string;
  readonly script: string;
  readonly env?: Record<string, string>;
  /** Input derivations; their `out` is added as an input. */
  readonly inputs?: readonly TestDrv[];
  readonly inputSrcs?: readonly string[];
  readonly system?: string;
}

export const generousLimits: BuildLimits = { timeoutMs: 20_000, maxSilentMs: 20_000, maxLogBytes: 1 << 20 };

/** A `/bin/sh -c script` derivation written as `<storeDir>/<hash>-<name>.drv`. */
export function shDrv(storeDir: string, spec: DrvSpec): TestDrv {
  const known = new Map<string, Derivation>((spec.inputs ?? []).map((input) => [input.drvPath, input.drv]));
  const instantiated = instantiateDerivation(
    {
      env: new Map([
        ['name', spec.name],
        ['system', spec.system ?? 'x86_64-linux'],
        ['builder', '/bin/sh'],
        ...Object.entries(spec.env ?? {}),
      ]),
      args: ['-c', spec.script],
      inputDrvs: new Map((spec.inputs ?? []).map((input) => [input.drvPath, ['out']])),
      inputSrcs: spec.inputSrcs ?? [],
    },
    // Inputs of inputs are read from the store directory, where shDrv wrote them.
    { storeDir, readDerivation: (path) => known.get(path) ?? readDrv(path, readFileSync(path)) },
  );
  mkdirSync(storeDir, { recursive: true });
  writeFileSync(instantiated.drvPath, instantiated.text);
  return { ...instantiated, out: instantiated.outputPaths.get('out')! };
}

export function readDrv(path: string, bytes: Uint8Array): Derivation {
  return parseDerivation(bytes, storePathBaseName(path).slice(33, -4));
}
