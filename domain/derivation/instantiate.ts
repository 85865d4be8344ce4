/**
 * What Nix's `derivation` builtin does once the attributes are strings: pick out builder, system and
 * the output settings, compute the output paths (from the masked derivation for input-addressed
 * outputs, from the declared hash for a fixed output), fill them into the environment, and name the
 * resulting `.drv`.
 */
import { printDerivation } from './aterm-print.ts';
import { type Derivation, type DerivationOutput, drvExtension } from './derivation.ts';
import { DerivationError } from './errors.ts';
import { type HashAlgorithm, hashBytes, parseHash, parseHashAlgorithm, printHash } from './hash.ts';
import { hashDerivationModulo, type ModuloContext } from './hash-modulo.ts';
import {
  checkStorePathName,
  defaultStoreDir,
  type IngestionMethod,
  makeFixedOutputPath,
  makeOutputPath,
  makeTextPath,
} from './store-path.ts';

/** The attributes of a `derivation { … }` call, already turned into strings as Nix does. */
export interface DerivationAttributes {
  /** Every attribute except `args`: `name`, `system`, `builder`, `outputs` (space-separated)… */
  readonly env: ReadonlyMap<string, string>;
  readonly args?: readonly string[];
  /** Derivations whose outputs the strings refer to, with the outputs used. */
  readonly inputDrvs?: ReadonlyMap<string, readonly string[]>;
  /** Store paths (sources) the strings refer to. */
  readonly inputSrcs?: readonly string[];
}

/** The instantiated derivation, its `.drv` path and the path of each output. */
export interface Instantiated {
  readonly drv: Derivation;
  readonly drvPath: string;
  /** The `.drv` file's bytes, to write as the store path `drvPath`. */
  readonly text: string;
  readonly outputPaths: ReadonlyMap<string, string>;
}

const invalid = (message: string) => new DerivationError('TALLY_DRV_INVALID', message);

function outputNames(env: ReadonlyMap<string, string>): string[] {
  const given = env.get('outputs');
  if (given === undefined) return ['out'];
  const names = given.split(/[ \t\n\r]+/).filter((name) => name !== '');
  if (names.length === 0) throw invalid('derivation cannot have an empty set of outputs');
  if (new Set(names).size !== names.length) throw invalid(`duplicate derivation output in '${given}'`);
  if (names.includes('drv')) throw invalid("invalid derivation output name 'drv'");
  return names;
}

function ingestionMethod(mode: string | undefined): IngestionMethod {
  if (mode === undefined || mode === 'flat') return 'flat';
  if (mode === 'recursive') return 'recursive';
  throw invalid(`invalid value '${mode}' for 'outputHashMode' attribute`);
}

function required(env: ReadonlyMap<string, string>, key: string): string {
  const value = env.get(key);
  if (!value) throw invalid(`required attribute '${key}' missing`);
  return value;
}

/** The `.drv` path of a derivation: a text path whose references are its inputs. */
export function derivationPath(drv: Derivation, storeDir = defaultStoreDir): { path: string; text: string } {
  const text = printDerivation(drv);
  const references = [...drv.inputSrcs, ...drv.inputDrvs.keys()];
  const path = makeTextPath(`${drv.name}${drvExtension}`, hashBytes('sha256', text), references, storeDir);
  return { path, text };
}

export function instantiateDerivation(
  attributes: DerivationAttributes,
  context: Omit<ModuloContext, 'storeDir'> & { readonly storeDir?: string },
): Instantiated {
  const storeDir = context.storeDir ?? defaultStoreDir;
  const env = new Map(attributes.env);
  const name = required(env, 'name');
  if (name.endsWith(drvExtension))
    throw invalid(`derivation names are not allowed to end in '${drvExtension}'`);
  checkStorePathName(name);
  const base = {
    name,
    inputDrvs: attributes.inputDrvs ?? new Map(),
    inputSrcs: attributes.inputSrcs ?? [],
    system: required(env, 'system'),
    builder: required(env, 'builder'),
    args: attributes.args ?? [],
  };
  const names = outputNames(env);
  const outputs = new Map<string, DerivationOutput>();
  const outputHash = env.get('outputHash');
  if (env.get('__contentAddressed') === '1' || env.get('__impure') === '1') {
    throw invalid('floating content-addressed and impure derivations are not supported');
  }
  if (outputHash !== undefined) {
    if (names.length !== 1 || names[0] !== 'out') {
      throw invalid('multiple outputs are not supported in fixed-output derivations');
    }
    const algo = env.get('outputHashAlgo');
    const defaultAlgorithm: HashAlgorithm | undefined = algo ? parseHashAlgorithm(algo) : undefined;
    const hash = parseHash(outputHash, defaultAlgorithm);
    const method = ingestionMethod(env.get('outputHashMode'));
    const path = makeFixedOutputPath(method, hash, name, storeDir);
    env.set('out', path);
    outputs.set('out', {
      path,
      hashAlgo: `${method === 'recursive' ? 'r:' : ''}${hash.algorithm}`,
      hash: printHash(hash, 'base16', false),
    });
  } else {
    ingestionMethod(env.get('outputHashMode'));
    for (const output of names) {
      env.set(output, '');
      outputs.set(output, { path: '', hashAlgo: '', hash: '' });
    }
    const masked: Derivation = { ...base, outputs, env };
    const modulo = hashDerivationModulo(masked, true, { ...context, storeDir });
    if (modulo.kind === 'regular') {
      for (const output of names) {
        const path = makeOutputPath(output, modulo.hashes.get(output)!, name, storeDir);
        env.set(output, path);
        outputs.set(output, { path, hashAlgo: '', hash: '' });
      }
    }
  }
  const drv: Derivation = { ...base, outputs, env };
  const { path, text } = derivationPath(drv, storeDir);
  const outputPaths = new Map(
    [...outputs].filter(([, output]) => output.path !== '').map(([id, output]) => [id, output.path]),
  );
  return { drv, drvPath: path, text, outputPaths };
}
