/**
 * The builder's environment, as Nix's `LocalDerivationGoal::initEnv` makes it for a build without a
 * sandbox: `PATH=/path-not-set`, `HOME=/homeless-shelter`, `NIX_STORE`, `NIX_BUILD_CORES`; then the
 * derivation's environment (attributes named in `passAsFile` become `<name>Path`, a file in the
 * build directory); then `NIX_BUILD_TOP`, `TMPDIR`, `TEMPDIR`, `TMP`, `TEMP`, `PWD` (the build
 * directory); for a fixed-output derivation `NIX_OUTPUT_CHECKED=1` and the `impureEnvVars` taken
 * from our own environment; last `NIX_LOG_FD=2` and `TERM=xterm-256color`. Nothing else of the
 * parent's environment leaks in. Pure.
 */
import { type Derivation, hashBytes, printHash } from '../../../domain/derivation/index.ts';

/** A file the build directory must hold before the builder starts. */
export interface AttrFile {
  /** The file's name inside the build directory. */
  readonly name: string;
  readonly contents: string;
}

export interface EnvironmentSettings {
  readonly storeDir: string;
  readonly buildDir: string;
  readonly cores: number;
  readonly fixedOutput: boolean;
  /** Where `impureEnvVars` are read from (fixed-output derivations only). */
  readonly hostEnv: Readonly<Record<string, string | undefined>>;
}

export function buildEnvironment(
  drv: Derivation,
  settings: EnvironmentSettings,
): { env: Record<string, string>; files: AttrFile[] } {
  const env: Record<string, string> = {
    PATH: '/path-not-set',
    HOME: '/homeless-shelter',
    NIX_STORE: settings.storeDir,
    NIX_BUILD_CORES: String(settings.cores),
  };
  const files: AttrFile[] = [];
  const passAsFile = new Set(words(drv.env.get('passAsFile') ?? ''));
  for (const [key, value] of drv.env) {
    if (!passAsFile.has(key)) {
      env[key] = value;
      continue;
    }
    const name = `.attr-${printHash(hashBytes('sha256', key), 'nix32', false)}`;
    files.push({ name, contents: value });
    env[`${key}Path`] = `${settings.buildDir}/${name}`;
  }
  for (const key of ['NIX_BUILD_TOP', 'TMPDIR', 'TEMPDIR', 'TMP', 'TEMP', 'PWD'])
    env[key] = settings.buildDir;
  if (settings.fixedOutput) {
    env.NIX_OUTPUT_CHECKED = '1';
    for (const key of words(drv.env.get('impureEnvVars') ?? '')) env[key] = settings.hostEnv[key] ?? '';
  }
  env.NIX_LOG_FD = '2';
  env.TERM = 'xterm-256color';
  return { env, files };
}

function words(text: string): string[] {
  return text.split(/[ \t\n\r]+/).filter((word) => word !== '');
}
