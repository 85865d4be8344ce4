/**
 * `tally drv show FILE`: a `.drv` file as JSON, in the shape of `nix show-derivation`.
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Derivation } from '../../../domain/derivation/index.ts';

/** The derivation name in a file name: `<hash>-<name>.drv`, or `<name>.drv`. */
function nameOf(file: string): string {
  const base = basename(file).replace(/\.drv$/, '');
  return /^[0-9a-z]{32}-/.test(base) ? base.slice(33) : base;
}

/** The JSON `nix show-derivation` prints for one derivation. */
export function derivationJson(drv: Derivation): Record<string, unknown> {
  const entries = <V>(map: ReadonlyMap<string, V>) => Object.fromEntries(map);
  return {
    outputs: Object.fromEntries(
      [...drv.outputs].map(([name, output]) => [
        name,
        {
          ...(output.path ? { path: output.path } : {}),
          ...(output.hashAlgo ? { hashAlgo: output.hashAlgo } : {}),
          ...(output.hash ? { hash: output.hash } : {}),
        },
      ]),
    ),
    inputSrcs: drv.inputSrcs,
    inputDrvs: entries(drv.inputDrvs),
    system: drv.system,
    builder: drv.builder,
    args: drv.args,
    env: entries(drv.env),
  };
}

async function show(file: string): Promise<void> {
  // The derivation code loads only for this command.
  const { translateFsError } = await import('../../../adapters/store/errors.ts');
  const { parseDerivation } = await import('../../../domain/derivation/index.ts');
  const bytes = await readFile(file).catch((error: unknown) => {
    throw translateFsError(error, file);
  });
  const drv = parseDerivation(new Uint8Array(bytes), nameOf(file));
  console.log(JSON.stringify({ [resolve(file)]: derivationJson(drv) }, null, 2));
}

export function registerDrvCommand(program: Command): void {
  const drv = program.command('drv').description('Nix store derivations (.drv files)');
  drv
    .command('show')
    .description('print a .drv file as JSON (the shape of nix show-derivation)')
    .argument('<file>', 'the .drv file')
    .action(show);
}
