/**
 * The native builder: realises a derivation as nix-daemon does without a sandbox. Inputs must be in
 * the store directory (or be fetched by `fetchInput`); the builder runs in a private temporary
 * directory with exactly the environment Nix would give it (`build-env.ts`), as a process group
 * that is killed on timeout, silence, log overflow or cancel; then every output must exist, is made
 * read-only with timestamps 1, hashed as a NAR and scanned for references, and a fixed output is
 * checked against its declared hash. The builder runs as this process's user; with `isolation`
 * (`isolation.ts`) it runs in a bubblewrap sandbox that sees only its inputs and writes only its
 * outputs and build directory.
 */
import { lstat, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  classifyOutput,
  type Derivation,
  derivationKind,
  parseDerivation,
  storePathBaseName,
} from '../../../domain/derivation/index.ts';
import { whyNotExecutable } from '../../processes/dies-with-server.ts';
import type { Builder, BuildRequest, BuildResult, BuiltOutput } from '../builder.ts';
import { failureOfEnd } from '../failure-of-end.ts';
import { runLogged } from '../run-logged.ts';
import type { RunningBuilds } from '../running-builds.ts';
import { buildEnvironment } from './build-env.ts';
import { createIsolation, type Isolation, type IsolationMode, IsolationUnavailable } from './isolation.ts';
import { canonicalise, fixedOutputProblem, inspectOutput } from './outputs.ts';
import { removeTree } from './remove-tree.ts';

export interface NativeBuilderOptions {
  /** `NIX_BUILD_CORES`; defaults to the number of CPUs. */
  readonly cores?: number;
  /** Systems this machine builds for; defaults to the host's (`x86_64-linux`…). */
  readonly systems?: readonly string[];
  /** Where build directories are made; defaults to the OS temporary directory. */
  readonly buildRoot?: string;
  /**
   * Makes a missing input present in the store directory (from a substituter); rejects when it
   * cannot. Without it a missing input fails the build as `infrastructure`.
   */
  readonly fetchInput?: (path: string, storeDir: string) => Promise<void>;
  /** The environment `impureEnvVars` of fixed-output derivations are read from. */
  readonly hostEnv?: Readonly<Record<string, string | undefined>>;
  /**
   * Whether builders run in a bubblewrap sandbox: `auto` when bwrap works here, `bwrap` always
   * (builds fail without it), `none` (the default here; the server defaults to `auto`) never.
   */
  readonly isolation?: IsolationMode;
  /** Host paths a sandboxed builder may read; `defaultSystemPaths` (`system-paths.ts`) when absent. */
  readonly sandboxPaths?: readonly string[];
  /** The bwrap binary; `bwrap` on `PATH` when absent. */
  readonly bwrapPath?: string;
  /** Told once whether builds are isolated. */
  readonly logger?: Logger;
  /** Where running builds are written down, for the next start to kill what a crash left. */
  readonly runningBuilds?: RunningBuilds;
}

/** `x86_64-linux`, `aarch64-linux`… for this machine. */
export function hostSystem(): string {
  const arch = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', riscv64: 'riscv64' }[process.arch as string];
  return `${arch ?? process.arch}-${process.platform}`;
}

class Infrastructure extends Error {}

export function createNativeBuilder(options: NativeBuilderOptions = {}): Builder {
  const isolation = createIsolation({
    mode: options.isolation ?? 'none',
    ...(options.sandboxPaths ? { systemPaths: options.sandboxPaths } : {}),
    ...(options.bwrapPath ? { bwrapPath: options.bwrapPath } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    name: 'native',
    build: async (request) => {
      try {
        return await build(request, options, isolation);
      } catch (error) {
        if (error instanceof Infrastructure || error instanceof IsolationUnavailable)
          return { ok: false, reason: 'infrastructure', detail: error.message };
        return {
          ok: false,
          reason: 'infrastructure',
          detail: `the build could not run: ${(error as Error).message}`,
        };
      }
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** The store paths the build reads: its sources and the outputs it uses of its input derivations. */
async function inputPaths(drv: Derivation): Promise<string[]> {
  const paths = [...drv.inputSrcs];
  for (const [drvPath, outputs] of drv.inputDrvs) {
    let input: Derivation;
    try {
      input = parseDerivation(
        new Uint8Array(await readFile(drvPath)),
        storePathBaseName(drvPath).slice(33, -4),
      );
    } catch (error) {
      throw new Infrastructure(`the input derivation ${drvPath} cannot be read: ${(error as Error).message}`);
    }
    for (const output of outputs) {
      const path = input.outputs.get(output)?.path;
      if (!path)
        throw new Infrastructure(`the input derivation ${drvPath} has no output '${output}' with a path`);
      paths.push(path);
    }
  }
  return paths;
}

async function ensureInputs(paths: readonly string[], request: BuildRequest, options: NativeBuilderOptions) {
  for (const path of paths) {
    if (await exists(path)) continue;
    if (options.fetchInput) {
      try {
        await options.fetchInput(path, request.storeDir);
      } catch (error) {
        throw new Infrastructure(
          `the input ${path} is missing and could not be fetched: ${(error as Error).message}`,
        );
      }
      if (await exists(path)) continue;
    }
    throw new Infrastructure(`the input ${path} is not in the store ${request.storeDir}`);
  }
}

/** Every path a sandbox binds must exist, or bwrap refuses to start with a message in the log. */
async function ensureVisible(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    if (!(await exists(path))) throw new Infrastructure(`the input ${path} is not in the store`);
  }
}

function checkBuildable(request: BuildRequest, options: NativeBuilderOptions): void {
  const { drv } = request;
  const kind = derivationKind(drv);
  if (kind !== 'input-addressed' && kind !== 'fixed') {
    throw new Infrastructure(
      `${request.drvPath}: ${kind} derivations are not supported by the native builder`,
    );
  }
  if (drv.env.has('__json'))
    throw new Infrastructure(`${request.drvPath}: structured attributes are not supported`);
  if (drv.builder.startsWith('builtin:'))
    throw new Infrastructure(`${request.drvPath}: ${drv.builder} is not supported`);
  const systems = options.systems ?? [hostSystem()];
  if (!systems.includes(drv.system)) {
    throw new Infrastructure(
      `${request.drvPath} needs a ${drv.system} machine; this one builds ${systems.join(', ')}`,
    );
  }
  for (const output of drv.outputs.values()) {
    if (!output.path.startsWith(`${request.storeDir}/`)) {
      throw new Infrastructure(`the output ${output.path} is not in the store ${request.storeDir}`);
    }
  }
}

async function build(
  request: BuildRequest,
  options: NativeBuilderOptions,
  isolation: Isolation,
): Promise<BuildResult> {
  const { drv, storeDir } = request;
  checkBuildable(request, options);
  const inputs = await inputPaths(drv);
  await ensureInputs(inputs, request, options);
  // Checked here, once its inputs are in place, for every isolation alike: run by bwrap, a builder
  // that cannot start would be bwrap's exit code, a failure of the build rather than of the farm.
  const cannot = drv.builder.startsWith('/') ? whyNotExecutable(drv.builder, {}) : undefined;
  if (cannot !== undefined) throw new Infrastructure(`the builder could not be started: ${cannot}`);
  const outputs = [...drv.outputs].map(([name, output]) => ({ name, path: output.path }));
  await mkdir(storeDir, { recursive: true });
  for (const output of outputs) await removeTree(output.path);
  const buildDir = await mkdtemp(join(options.buildRoot ?? tmpdir(), `tally-build-${drv.name}-`));
  let result: BuildResult;
  try {
    const fixed = derivationKind(drv) === 'fixed';
    const { env, files } = buildEnvironment(drv, {
      storeDir,
      buildDir,
      cores: options.cores ?? availableParallelism(),
      fixedOutput: fixed,
      hostEnv: options.hostEnv ?? process.env,
    });
    for (const file of files) await writeFile(join(buildDir, file.name), file.contents);
    const closure = [...inputs, ...(request.inputClosure ?? [])];
    const prepared = await isolation.prepare({
      storeDir,
      buildDir,
      builder: drv.builder,
      args: drv.args,
      inputs: closure,
      outputs: outputs.map((output) => output.path),
      network: fixed,
    });
    try {
      if (prepared.isolated) await ensureVisible(closure);
      const run = await runLogged(prepared.command, prepared.args, {
        env,
        cwd: buildDir,
        limits: request.limits,
        onLog: request.onLog,
        signal: request.signal,
        ...(options.runningBuilds && {
          record: { builds: options.runningBuilds, drvPath: request.drvPath },
        }),
      });
      const failed = failureOfEnd(prepared.builderEnd(run.end));
      if (!failed) await prepared.collect();
      result = failed ?? (await collectOutputs(request, outputs, closure));
    } finally {
      await prepared.dispose();
    }
  } finally {
    await removeTree(buildDir);
  }
  if (!result.ok) for (const output of outputs) await removeTree(output.path);
  return result;
}

async function collectOutputs(
  request: BuildRequest,
  outputs: readonly { name: string; path: string }[],
  inputClosure: readonly string[],
): Promise<BuildResult> {
  for (const output of outputs) {
    if (!(await exists(output.path))) {
      return {
        ok: false,
        reason: 'output-rejected',
        detail: `builder for '${request.drvPath}' failed to produce output path for output '${output.name}' at '${output.path}'`,
      };
    }
  }
  const candidates = [...inputClosure, ...outputs.map((output) => output.path)];
  const built: BuiltOutput[] = [];
  for (const output of outputs) {
    await canonicalise(output.path);
    const inspected = await inspectOutput(output.name, output.path, candidates);
    const kind = classifyOutput(request.drv.outputs.get(output.name)!);
    if (kind.kind === 'fixed') {
      const problem = await fixedOutputProblem(inspected, kind);
      if (problem) return { ok: false, reason: 'output-rejected', detail: problem };
    }
    built.push(inspected);
  }
  return { ok: true, outputs: built };
}
