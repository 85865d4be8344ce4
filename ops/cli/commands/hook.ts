/**
 * `tally hook secret SPEC`: makes the secret a forge signs its push webhooks with, kept in the data
 * directory (never in events). Configure the forge with the URL and the secret printed here.
 */
import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { openHookSecrets } from '../../../api/routes/hooks/secrets.ts';
import { namePattern } from '../../../domain/specification/validate.ts';
import { ApiCallError, apiUrlOf, callApi } from '../api-client.ts';
import { CliError } from '../cli-error.ts';
import { dataOption, resolveDataDir } from '../options.ts';

/** A note when the server answering for the data directory has no such specification (yet). */
async function unknownSpecNote(spec: string, options: { readonly data?: string; readonly api?: string }) {
  try {
    await callApi(options, 'GET', `/api/specs/${spec}`, { timeoutMs: 5000 });
    return undefined;
  } catch (error) {
    // No server, or another failure: nothing to say about the name.
    if (!(error instanceof ApiCallError) || error.status !== 404) return undefined;
    return `note: ${await apiUrlOf(options)} has no specification ${spec} yet: register it, or check the name`;
  }
}

async function secret(
  spec: string,
  options: { readonly data?: string; readonly api?: string },
): Promise<void> {
  if (!namePattern.test(spec)) {
    throw new CliError(
      'TALLY_CLI_INVALID_OPTION',
      `${JSON.stringify(spec)} is not a specification name: use the name \`tally spec list\` shows`,
    );
  }
  const dataDir = resolveDataDir(options.data);
  const madeDataDir = !existsSync(dataDir);
  const value = await openHookSecrets(dataDir).create(spec);
  console.log(value);
  const api = (await apiUrlOf(options)).replace(/\/+$/, '');
  console.error(
    `webhook secret for ${spec} stored in ${dataDir}; in the forge set the URL ${api}/api/hooks/${spec} ` +
      '(as the forge reaches this server), content type application/json, and this secret ' +
      '(GitHub, Gitea, Forgejo sign with it; GitLab sends it as its token)',
  );
  if (madeDataDir)
    console.error(
      `note: ${dataDir} did not exist and was made: a server started on another data directory (--data, TALLY_DATA) will not know this secret`,
    );
  const note = await unknownSpecNote(spec, options);
  if (note) console.error(note);
}

export function registerHookCommand(program: Command): void {
  const hook = program.command('hook').description("forges' push webhooks");
  hook
    .command('secret')
    .description('make (or replace) the webhook secret of a specification and print it')
    .argument('<spec>')
    .addOption(dataOption())
    .addOption(
      new Option(
        '--api <url>',
        'the URL the forge reaches this server at (default: the server serving --data, else http://127.0.0.1:8080)',
      ).env('TALLY_API'),
    )
    .action(secret);
}
