/**
 * The nix builder: `nix-store --realise` of a `.drv` already in nix's store, offline and without a
 * sandbox. Nix enforces its own `timeout`, `max-silent-time` and `max-build-log-size`; our own
 * clock, silence and log cap stand behind them (a little later, so nix's own verdict comes first).
 * The log is streamed from nix-store's stderr; the outputs are read with `nix-store --query`.
 *
 * As root, nix builds as the users of its `build-users-group` (`nixbld` by default), and refuses every
 * build when that group does not exist, as on a machine with Debian's nix-bin alone. The builder then
 * builds as the worker's own user, which is what `build-users-group =` asks of nix, and says so once.
 */
import type { Logger } from 'pino';
import type { Builder, BuildRequest, BuildResult, BuiltOutput } from '../builder.ts';
import { failureOfEnd } from '../failure-of-end.ts';
import { runLogged } from '../run-logged.ts';
import type { RunningBuilds } from '../running-builds.ts';
import { classifyNixFailure } from './nix-failure.ts';
import { queryNix } from './query.ts';

export interface NixBuilderOptions {
  /** Extra `--option name value` pairs for nix-store. */
  readonly nixOptions?: Readonly<Record<string, string>>;
  /** How much later than nix's own limits ours strike. */
  readonly marginMs?: number;
  /** Told once when nix's build users' group is missing and builds run as the worker's user. */
  readonly logger?: Pick<Logger, 'warn'>;
  /** Where running builds are written down, for the next start to kill what a crash left. */
  readonly runningBuilds?: RunningBuilds;
}

/** Nix 2.8's words when the group its build users belong to does not exist. */
const missingBuildUsersGroup = /the group '([^']*)' specified in 'build-users-group' does not exist/;

/** Time nix-store gets after SIGTERM to kill its builder (which runs in a session of its own). */
const graceMs = 5000;

function nixEnv(storeDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (storeDir !== '/nix/store') env.NIX_STORE_DIR = storeDir;
  return env;
}

const seconds = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)));

export function createNixBuilder(options: NixBuilderOptions = {}): Builder {
  const margin = options.marginMs ?? 5000;
  let withoutBuildUsers = false;

  const realise = (request: BuildRequest, env: NodeJS.ProcessEnv) => {
    const { limits } = request;
    const settings: Record<string, string> = {
      sandbox: 'false',
      substituters: '',
      timeout: seconds(limits.timeoutMs),
      'max-silent-time': seconds(limits.maxSilentMs),
      'max-build-log-size': String(limits.maxLogBytes),
      ...(withoutBuildUsers ? { 'build-users-group': '' } : {}),
      ...options.nixOptions,
    };
    const args = [
      '--realise',
      request.drvPath,
      ...Object.entries(settings).flatMap(([k, v]) => ['--option', k, v]),
    ];
    return runLogged('nix-store', args, {
      env,
      cwd: '/',
      limits: {
        timeoutMs: limits.timeoutMs + margin,
        maxSilentMs: limits.maxSilentMs + margin,
        // nix's own messages around the log must still fit.
        maxLogBytes: limits.maxLogBytes + 64 * 1024,
      },
      onLog: request.onLog,
      signal: request.signal,
      graceMs,
      ...(options.runningBuilds && {
        record: { builds: options.runningBuilds, drvPath: request.drvPath },
      }),
    });
  };

  return {
    name: 'nix',
    async build(request: BuildRequest): Promise<BuildResult> {
      const env = nixEnv(request.storeDir);
      let run = await realise(request, env);
      const group =
        run.end.kind === 'exited' && run.end.code !== 0 ? missingBuildUsersGroup.exec(run.logTail) : null;
      if (group && !withoutBuildUsers && options.nixOptions?.['build-users-group'] === undefined) {
        // Nix refused before building anything: the same build again, as the worker's own user.
        withoutBuildUsers = true;
        options.logger?.warn(
          { group: group[1] },
          "nix's build users' group does not exist: nix builds as this worker's user from now on; " +
            'create the group and its users (on Debian: apt-get install nix-setup-systemd) to build as them',
        );
        run = await realise(request, env);
      }
      if (run.end.kind !== 'exited' || run.end.code !== 0) {
        if (run.end.kind === 'exited') return classifyNixFailure(run.logTail, run.end.code);
        return failureOfEnd(run.end) ?? { ok: false, reason: 'infrastructure', detail: 'nix-store stopped' };
      }
      return readOutputs(request, env);
    },
  };
}

async function readOutputs(request: BuildRequest, env: NodeJS.ProcessEnv): Promise<BuildResult> {
  const outputs = [...request.drv.outputs].map(([name, output]) => ({ name, path: output.path }));
  const paths = outputs.map((output) => output.path);
  try {
    const hashes = (await queryNix(['--query', '--hash', ...paths], env)).split('\n').filter(Boolean);
    const sizes = (await queryNix(['--query', '--size', ...paths], env)).split('\n').filter(Boolean);
    const built: BuiltOutput[] = [];
    for (const [i, output] of outputs.entries()) {
      const references = (await queryNix(['--query', '--references', output.path], env))
        .split('\n')
        .filter(Boolean);
      built.push({
        ...output,
        narHash: hashes[i]!,
        narSize: Number(sizes[i]),
        references: references.sort(),
      });
    }
    return { ok: true, outputs: built };
  } catch (error) {
    return {
      ok: false,
      reason: 'infrastructure',
      detail: `the outputs could not be read from nix: ${(error as Error).message}`,
    };
  }
}
