/**
 * Deterministic names for synthetic farm histories: Nix store hashes, `.drv` and output paths, commit
 * hashes and jobs, all derived from a seed text so that the same name always gives the same path.
 */
import type { Job } from '../../../domain/evaluation/job.ts';

const nix32 = '0123456789abcdfghijklmnpqrsvwxyz';

/** A 32-bit FNV-1a hash of `text` mixed with `salt`. */
export function fnv(text: string, salt: number): number {
  let hash = 0x811c9dc5 ^ salt;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A deterministic 32-character Nix base-32 hash of `text`. */
export function storeHash(text: string): string {
  let hash = '';
  for (let part = 0; part < 7; part++) {
    let word = fnv(text, part * 0x9e3779b9);
    for (let i = 0; i < 5 && hash.length < 32; i++, word >>>= 5) hash += nix32[word & 31];
  }
  return hash;
}

/**
 * The `.drv` path of a package (`drv('hello-2.12')`) for a system (x86_64-linux by default): the same
 * name and system always give the same path.
 */
export function drv(name: string, system = 'x86_64-linux'): string {
  const seed = system === 'x86_64-linux' ? `drv:${name}` : `drv:${name}:${system}`;
  return `/nix/store/${storeHash(seed)}-${name}.drv`;
}

/** The path of output `output` of the package `name`. */
export function outPath(name: string, output = 'out'): string {
  const suffix = output === 'out' ? '' : `-${output}`;
  return `/nix/store/${storeHash(`out:${name}:${output}`)}-${name}${suffix}`;
}

/** A 40-digit commit hash derived from `seed`. */
export function commit(seed: string): string {
  let hex = '';
  for (let part = 0; hex.length < 40; part++) hex += fnv(seed, part).toString(16).padStart(8, '0');
  return hex.slice(0, 40);
}

/** The package name of a `.drv` path (`/nix/store/<hash>-hello-2.12.drv` → `hello-2.12`). */
export function packageOf(drvPath: string): string {
  return drvPath.slice(drvPath.lastIndexOf('/') + 34, -'.drv'.length);
}

/**
 * A job named `name.<system>` whose derivation is `<name>-<version>`: two specifications that list the
 * same name and version share the derivation, so they share one build.
 */
export function job(name: string, options: { version?: string; system?: string } = {}): Job {
  const system = options.system ?? 'x86_64-linux';
  const pkg = `${name}-${options.version ?? '1.0'}`;
  return { name: `${name}.${system}`, system, drvPath: drv(pkg, system), outputs: { out: outPath(pkg) } };
}
