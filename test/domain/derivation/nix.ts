/**
 * Running the real nix (Debian's nix-bin, Nix 2.8) for the conformance tests, as root with a local
 * store and no sandbox. Where nix is not installed the tests are registered as skipped and the file
 * says so on its own line, so a run without nix cannot pass silently.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import type { Test } from 'uvu';

export const hasNix = spawnSync('nix-instantiate', ['--version'], { stdio: 'ignore' }).status === 0;

export const nixEnv = {
  ...process.env,
  NIX_CONFIG: 'sandbox = false\nexperimental-features = nix-command',
};

/** Runs a nix command and returns its stdout as bytes; stderr is kept for the error. */
export function nix(command: string, args: string[], env: NodeJS.ProcessEnv = nixEnv): Buffer {
  return execFileSync(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
}

let skipped = 0;

/** Registers `name` on `suite`, or as skipped (and counted) when nix is absent. */
export function nixTest<C>(suite: Test<C>, name: string, handler: Parameters<Test<C>>[1]): void {
  if (hasNix) {
    suite(name, handler);
  } else {
    skipped += 1;
    suite.skip(name, handler);
  }
}

/** Prints the line that tells a reader the conformance tests did not run. */
export function reportSkipped(): void {
  if (!hasNix) console.log(`nix not installed: ${skipped} conformance tests skipped`);
}
