/**
 * `tally hook secret SPEC`: makes the secret a forge signs its push webhooks with, kept in the data
 * directory (never in events). Configure the forge with the URL and the secret printed here.
 */
import type { Command } from 'commander';
import { openHookSecrets } from '../../../api/routes/hooks/secrets.ts';
import { namePattern } from '../../../domain/specification/validate.ts';
import { CliError } from '../cli-error.ts';
import { dataOption, resolveDataDir } from '../options.ts';

async function secret(
  spec: string,
  options: { readonly data?: string; readonly api: string },
): Promise<void> {
  if (!namePattern.test(spec)) {
    throw new CliError(
      'TALLY_CLI_INVALID_OPTION',
      `${JSON.stringify(spec)} is not a specification name: use the name \`tally spec list\` shows`,
    );
  }
  const dataDir = resolveDataDir(options.data);
  const value = await openHookSecrets(dataDir).create(spec);
  console.log(value);
  console.error(
    `webhook secret for ${spec} stored in ${dataDir}; in the forge set the URL ${options.api}/api/hooks/${spec}, ` +
      'content type application/json, and this secret (GitHub, Gitea, Forgejo sign with it; GitLab sends it as its token)',
  );
}

export function registerHookCommand(program: Command): void {
  const hook = program.command('hook').description("forges' push webhooks");
  hook
    .command('secret')
    .description('make (or replace) the webhook secret of a specification and print it')
    .argument('<spec>')
    .addOption(dataOption())
    .option('--api <url>', 'the URL the forge reaches this server at', 'http://127.0.0.1:8080')
    .action(secret);
}
