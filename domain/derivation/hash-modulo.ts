/**
 * `hashDerivationModulo`: the hash an input-addressed output path is made from. A fixed-output
 * derivation hashes to a function of its declared content hash only (so changing how a source is
 * fetched changes no path downstream); any other derivation hashes its ATerm with each input
 * derivation replaced by that input's own hash modulo.
 */
import { printDerivation } from './aterm-print.ts';
import { classifyOutput, type Derivation, derivationKind } from './derivation.ts';
import { DerivationError } from './errors.ts';
import { type Hash, hashBytes, printHash } from './hash.ts';
import { defaultStoreDir, makeFixedOutputPath, outputPathName } from './store-path.ts';

/** Per output, the hash modulo; `deferred` when some input's outputs are not known yet. */
export interface DrvHash {
  readonly hashes: ReadonlyMap<string, Hash>;
  readonly kind: 'regular' | 'deferred';
}

/** Where input derivations come from, and a memo shared across calls (Nix's `drvHashes`). */
export interface ModuloContext {
  readonly storeDir?: string;
  /** The derivation stored at `drvPath`; throw if it is unknown. */
  readDerivation(drvPath: string): Derivation;
  /** Hash modulo (unmasked) of each input derivation already computed, by path. */
  readonly memo?: Map<string, DrvHash>;
}

const impureOutputHash = hashBytes('sha256', 'impure');

function sameHashForAll(drv: Derivation, hash: Hash, kind: DrvHash['kind']): DrvHash {
  return { hashes: new Map([...drv.outputs.keys()].map((name) => [name, hash])), kind };
}

function fixedOutputHashes(drv: Derivation, storeDir: string): DrvHash {
  const hashes = new Map<string, Hash>();
  for (const [name, output] of drv.outputs) {
    const typed = classifyOutput(output);
    if (typed.kind !== 'fixed') throw new DerivationError('TALLY_DRV_INVALID', 'expected a fixed output');
    const path = makeFixedOutputPath(typed.method, typed.hash, outputPathName(drv.name, name), storeDir);
    const text = `fixed:out:${output.hashAlgo}:${printHash(typed.hash, 'base16', false)}:${path}`;
    hashes.set(name, hashBytes('sha256', text));
  }
  return { hashes, kind: 'regular' };
}

export function hashDerivationModulo(drv: Derivation, maskOutputs: boolean, context: ModuloContext): DrvHash {
  return hashModulo(drv, maskOutputs, context, new Set());
}

function hashModulo(
  drv: Derivation,
  maskOutputs: boolean,
  context: ModuloContext,
  inProgress: Set<string>,
): DrvHash {
  const storeDir = context.storeDir ?? defaultStoreDir;
  const kind = derivationKind(drv);
  if (kind === 'fixed') return fixedOutputHashes(drv, storeDir);
  if (kind === 'impure') return sameHashForAll(drv, impureOutputHash, 'deferred');
  let resultKind: DrvHash['kind'] = kind === 'floating' ? 'deferred' : 'regular';
  const inputs = new Map<string, string[]>();
  for (const [drvPath, outputNames] of drv.inputDrvs) {
    const input = inputHash(drvPath, context, inProgress);
    if (input.kind === 'deferred') resultKind = 'deferred';
    for (const outputName of outputNames) {
      const hash = input.hashes.get(outputName);
      if (!hash) {
        throw new DerivationError('TALLY_DRV_INVALID', `input ${drvPath} has no output '${outputName}'`);
      }
      const key = printHash(hash, 'base16', false);
      inputs.set(key, [...(inputs.get(key) ?? []), outputName]);
    }
  }
  const hash = hashBytes('sha256', printDerivation(drv, { maskOutputs, inputDrvs: inputs }));
  return sameHashForAll(drv, hash, resultKind);
}

function inputHash(drvPath: string, context: ModuloContext, inProgress: Set<string>): DrvHash {
  const known = context.memo?.get(drvPath);
  if (known) return known;
  if (inProgress.has(drvPath)) {
    throw new DerivationError('TALLY_DRV_INVALID', `derivation ${drvPath} depends on itself`);
  }
  inProgress.add(drvPath);
  const hash = hashModulo(context.readDerivation(drvPath), false, context, inProgress);
  inProgress.delete(drvPath);
  context.memo?.set(drvPath, hash);
  return hash;
}
