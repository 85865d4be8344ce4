/**
 * The bwrap command line that runs one builder in a sandbox, close to what Nix's sandbox gives a
 * build: a read-only root that shows only the host's system directories, the input closure and the
 * build directory (at the same paths as outside, so the environment does not change); the store
 * directory backed by a private staging directory, so what the builder writes there (its outputs)
 * lands outside the real store until the builder has exited; no network unless the derivation is
 * fixed-output; its own pids, /proc and a minimal /dev; no capabilities; killed with its parent.
 * Pure: what exists on the host is decided by the caller.
 */

/** How a host path is made visible in the sandbox. */
export type SystemPath =
  /** Bound read-only at the same place. */
  | { readonly kind: 'bind'; readonly path: string }
  /** A symbolic link recreated as is (`/bin -> usr/bin` on a merged-/usr system). */
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string };

export interface SandboxLayout {
  /** The store directory as the builder sees it (`NIX_STORE`). */
  readonly storeDir: string;
  /** A fresh, empty host directory mounted at `storeDir`, writable: the outputs land in it. */
  readonly stagingDir: string;
  /** The build directory, writable, at the same path inside. */
  readonly buildDir: string;
  /** Store paths the builder may read: its input closure. */
  readonly inputs: readonly string[];
  /** The host's system directories and files the builder may read (`/usr`, `/etc/passwd`…). */
  readonly systemPaths: readonly SystemPath[];
  /** A fixed-output derivation keeps the host's network (it downloads; its hash is checked). */
  readonly network: boolean;
}

export function bwrapArguments(layout: SandboxLayout, builder: string, args: readonly string[]): string[] {
  const argv = ['--unshare-all', ...(layout.network ? ['--share-net'] : [])];
  argv.push('--die-with-parent', '--new-session', '--cap-drop', 'ALL');
  for (const entry of layout.systemPaths) {
    if (entry.kind === 'bind') argv.push('--ro-bind', entry.path, entry.path);
    else argv.push('--symlink', entry.target, entry.path);
  }
  argv.push('--proc', '/proc', '--dev', '/dev');
  argv.push('--bind', layout.stagingDir, layout.storeDir);
  for (const input of layout.inputs) argv.push('--ro-bind', input, input);
  argv.push('--bind', layout.buildDir, layout.buildDir);
  // Last, so that the mount points made above exist; `/homeless-shelter` cannot be created after.
  argv.push('--remount-ro', '/');
  argv.push('--chdir', layout.buildDir, '--', builder, ...args);
  return argv;
}
