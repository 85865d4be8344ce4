/**
 * Writes a derivation as Nix's `Derivation::unparse` does, byte for byte: sorted maps and sets,
 * builder/args/env escaped (`\"`, `\\`, `\n`, `\r`, `\t`), output names, paths, hash fields and the
 * system written without escaping.
 */
import { compareNixStrings, sortNix } from './bytes.ts';
import type { Derivation } from './derivation.ts';
import { DerivationError } from './errors.ts';

export interface PrintOptions {
  /** Blank the output paths and the env variables named after outputs (for the hash modulo). */
  readonly maskOutputs?: boolean;
  /** Print these in place of `inputDrvs` (hash modulo: input hashes instead of paths). */
  readonly inputDrvs?: ReadonlyMap<string, readonly string[]>;
}

const escapes: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function quoted(text: string): string {
  return `"${text.replace(/["\\\n\r\t]/g, (char) => escapes[char]!)}"`;
}

/** Nix writes these without escaping; one with `"` or `\` would make a file no one can read back. */
function unquoted(text: string): string {
  if (/["\\]/.test(text)) {
    throw new DerivationError(
      'TALLY_DRV_INVALID',
      `'${text}' cannot be written in a derivation: it holds " or \\`,
    );
  }
  return `"${text}"`;
}

const list = (items: readonly string[]) => `[${items.join(',')}]`;

function sortedEntries<V>(map: ReadonlyMap<string, V>): Array<[string, V]> {
  return [...map.entries()].sort(([a], [b]) => compareNixStrings(a, b));
}

export function printDerivation(drv: Derivation, options: PrintOptions = {}): string {
  const mask = options.maskOutputs === true;
  const outputs = sortedEntries(drv.outputs).map(
    ([id, output]) =>
      `(${unquoted(id)},${unquoted(mask ? '' : output.path)},${unquoted(output.hashAlgo)},${unquoted(output.hash)})`,
  );
  const inputDrvs = sortedEntries(options.inputDrvs ?? drv.inputDrvs).map(
    ([path, names]) => `(${unquoted(path)},${list(sortNix(new Set(names)).map(unquoted))})`,
  );
  const inputSrcs = sortNix(new Set(drv.inputSrcs)).map(unquoted);
  const env = sortedEntries(drv.env).map(
    ([key, value]) => `(${quoted(key)},${quoted(mask && drv.outputs.has(key) ? '' : value)})`,
  );
  return (
    `Derive(${list(outputs)},${list(inputDrvs)},${list(inputSrcs)},${unquoted(drv.system)},` +
    `${quoted(drv.builder)},${list(drv.args.map(quoted))},${list(env)})`
  );
}
