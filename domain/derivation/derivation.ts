/**
 * The derivation model: what a `.drv` file says, field for field, plus a typed reading of each
 * output. Fields keep the text of the file (an output's hash stays the hex it was written in), so a
 * parsed derivation prints back to the same bytes.
 */
import { DerivationError } from './errors.ts';
import { type Hash, type HashAlgorithm, parseHashAlgorithm, parseHashBody } from './hash.ts';
import type { IngestionMethod } from './store-path.ts';

/** One output as the ATerm writes it: a path (empty when not known yet), `[r:]algo` and a hex hash. */
export interface DerivationOutput {
  readonly path: string;
  readonly hashAlgo: string;
  readonly hash: string;
}

/** A store derivation. Maps keep insertion order; printing sorts them as Nix does. */
export interface Derivation {
  /** The derivation's name: the store path name of the `.drv` without `.drv`. */
  readonly name: string;
  readonly outputs: ReadonlyMap<string, DerivationOutput>;
  /** Input derivation path → the names of the outputs used. */
  readonly inputDrvs: ReadonlyMap<string, readonly string[]>;
  readonly inputSrcs: readonly string[];
  readonly system: string;
  readonly builder: string;
  readonly args: readonly string[];
  readonly env: ReadonlyMap<string, string>;
}

/** An output read for what it means. */
export type OutputKind =
  /** Its path follows from the derivation's hash modulo. */
  | { readonly kind: 'input-addressed'; readonly path: string }
  /** Its content hash is known in advance (a fetch). */
  | {
      readonly kind: 'fixed';
      readonly path: string;
      readonly method: IngestionMethod;
      readonly hash: Hash;
    }
  /** Content-addressed, the hash known only after the build (experimental in Nix). */
  | { readonly kind: 'floating'; readonly method: IngestionMethod; readonly algorithm: HashAlgorithm }
  /** Input-addressed, but its path waits on a floating input. */
  | { readonly kind: 'deferred' }
  /** Impure (experimental in Nix). */
  | { readonly kind: 'impure'; readonly method: IngestionMethod; readonly algorithm: HashAlgorithm };

export const drvExtension = '.drv';

function methodAndAlgorithm(hashAlgo: string): { method: IngestionMethod; algorithm: HashAlgorithm } {
  const recursive = hashAlgo.startsWith('r:');
  const algorithm = parseHashAlgorithm(recursive ? hashAlgo.slice(2) : hashAlgo);
  return { method: recursive ? 'recursive' : 'flat', algorithm };
}

/** Reads an output as Nix's `parseDerivationOutput` does; throws `TALLY_DRV_INVALID` on nonsense. */
export function classifyOutput(output: DerivationOutput): OutputKind {
  try {
    if (output.hashAlgo === '') {
      if (output.hash !== '') throw new Error('a hash without an algorithm');
      return output.path === '' ? { kind: 'deferred' } : { kind: 'input-addressed', path: output.path };
    }
    const { method, algorithm } = methodAndAlgorithm(output.hashAlgo);
    if (output.hash === 'impure') return { kind: 'impure', method, algorithm };
    if (output.hash === '') return { kind: 'floating', method, algorithm };
    if (!/^[0-9a-f]*$/.test(output.hash)) throw new Error(`the hash '${output.hash}' is not lowercase hex`);
    return { kind: 'fixed', path: output.path, method, hash: parseHashBody(output.hash, algorithm) };
  } catch (error) {
    throw new DerivationError('TALLY_DRV_INVALID', `bad output: ${(error as Error).message}`);
  }
}

/** The kind shared by all outputs of a derivation; Nix refuses to mix kinds. */
export type DerivationKind = OutputKind['kind'];

/** The derivation's kind, with Nix's rules: at least one output, no mixing, one fixed output named `out`. */
export function derivationKind(drv: Derivation): DerivationKind {
  const kinds = new Set([...drv.outputs.values()].map((output) => classifyOutput(output).kind));
  const [kind, ...others] = kinds;
  if (!kind) throw new DerivationError('TALLY_DRV_INVALID', 'a derivation must have at least one output');
  if (others.length > 0) throw new DerivationError('TALLY_DRV_INVALID', "can't mix derivation output types");
  if (kind === 'fixed' && (drv.outputs.size > 1 || !drv.outputs.has('out'))) {
    throw new DerivationError('TALLY_DRV_INVALID', 'a fixed-output derivation has one output, named "out"');
  }
  return kind;
}
