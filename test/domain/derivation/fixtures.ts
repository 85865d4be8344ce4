/**
 * `.drv` files written by `nix-instantiate` (Nix 2.8) for test/fixtures/derivation/a.nix, with a
 * reader that resolves input derivations among them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { type Derivation, parseDerivation } from '../../../domain/derivation/index.ts';

export const fixtureDir = new URL('../../fixtures/derivation/', import.meta.url).pathname;

/** Base name `<hash>-<name>.drv` → bytes. */
export const drvFiles: ReadonlyMap<string, Uint8Array> = new Map(
  readdirSync(fixtureDir)
    .filter((file) => file.endsWith('.drv'))
    .map((file) => [file, new Uint8Array(readFileSync(`${fixtureDir}${file}`))]),
);

/** The derivation name in a `.drv` base name. */
export const drvName = (base: string) => base.slice(33, -'.drv'.length);

export function fixture(name: string): { path: string; bytes: Uint8Array; drv: Derivation } {
  const base = [...drvFiles.keys()].find((file) => drvName(file) === name);
  if (!base) throw new Error(`no fixture ${name}`);
  const bytes = drvFiles.get(base)!;
  return { path: `/nix/store/${base}`, bytes, drv: parseDerivation(bytes, name) };
}

export function readFixtureDerivation(path: string): Derivation {
  const base = path.slice('/nix/store/'.length);
  const bytes = drvFiles.get(base);
  if (!bytes) throw new Error(`unknown derivation ${path}`);
  return parseDerivation(bytes, drvName(base));
}
