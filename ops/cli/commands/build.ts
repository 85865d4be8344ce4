/**
 * `tally build show|restart|cancel ID`: one build, by its integer id, its derivation's hash part or
 * path, through the API.
 */
import type { Command } from 'commander';
import { parseBuildKey } from '../../../projections/builds/keys.ts';
import { type ApiOptions, addApiOptions, callApi, print } from '../api-client.ts';
import { CliError } from '../cli-error.ts';

interface CommandResult {
  readonly stream: string;
  readonly revision: number;
  readonly events: readonly string[];
}

/** The API's path segment for the build `id` names: its integer id, or its hash part (for a path too). */
function segmentOf(id: string): string {
  const key = parseBuildKey(id);
  if (!key)
    throw new CliError(
      'TALLY_CLI_INVALID_OPTION',
      `${id} names no build: give its integer id (the "id" of its JSON), its derivation's hash part (32 characters) or its /nix/store/…drv path`,
    );
  return 'id' in key ? String(key.id) : key.hash;
}

async function show(id: string, options: ApiOptions): Promise<void> {
  const { body } = await callApi<Record<string, unknown>>(options, 'GET', `/api/builds/${segmentOf(id)}`);
  print(options, body, () => {
    const { drvPath, status, system, attempts } = body as {
      drvPath: string;
      status: string;
      system: string;
      attempts?: unknown[];
    };
    return `${drvPath}\n  status: ${status}\n  system: ${system}\n  attempts: ${attempts?.length ?? 0}`;
  });
}

function act(action: 'restart' | 'cancel') {
  return async (id: string, options: ApiOptions & { why?: string }) => {
    const body = options.why === undefined ? {} : { why: options.why };
    const { body: result } = await callApi<CommandResult>(
      options,
      'POST',
      `/api/builds/${segmentOf(id)}/${action}`,
      {
        body,
      },
    );
    print(
      options,
      result,
      () =>
        `${action} ${id}: ${result.events.join(', ') || 'nothing to change'} (revision ${result.revision})`,
    );
  };
}

export function registerBuildCommand(program: Command): void {
  const build = program.command('build').description('builds, through the API of a running server');
  addApiOptions(
    build.command('show').description('one build').argument('<id>', 'integer id, hash part or .drv path'),
  ).action(show);
  addApiOptions(
    build
      .command('restart')
      .description('queue a finished build again')
      .argument('<id>', 'integer id, hash part or .drv path')
      .option('--why <reason>', 'recorded with the restart'),
  ).action(act('restart'));
  addApiOptions(
    build
      .command('cancel')
      .description('stop a build that has not finished')
      .argument('<id>', 'integer id, hash part or .drv path')
      .option('--why <reason>', 'recorded with the cancellation'),
  ).action(act('cancel'));
}
