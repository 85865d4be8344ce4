/**
 * `tally token create|revoke|list`: the API's bearer tokens in the data directory's `tokens.json`.
 * A running server picks changes up at once. `create` prints the token on stdout, the only time it is
 * ever shown: the file keeps only its hash.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { openTokenStore } from '../../../api/auth/token-store.ts';
import { CliError } from '../cli-error.ts';
import { dataOption, resolveDataDir } from '../options.ts';

interface TokenOptions {
  readonly data?: string;
  readonly json?: boolean;
}

async function create(name: string, options: TokenOptions): Promise<void> {
  const dataDir = resolveDataDir(options.data);
  const madeDataDir = !existsSync(dataDir);
  const token = await openTokenStore(dataDir).createToken(name);
  console.log(options.json ? JSON.stringify({ name, actor: `user:${name}`, token }) : token);
  console.error(`created a token for user:${name} in ${dataDir}; it is not shown again, keep it safe`);
  if (madeDataDir)
    console.error(
      `note: ${dataDir} did not exist and was made: a server started on another data directory (--data, TALLY_DATA) will not accept this token`,
    );
}

async function revoke(name: string, options: TokenOptions): Promise<void> {
  await openTokenStore(resolveDataDir(options.data)).revokeToken(name);
  if (options.json) console.log(JSON.stringify({ name, actor: `user:${name}`, revoked: true }));
  console.error(`revoked the token of user:${name}`);
}

async function list(options: TokenOptions): Promise<void> {
  const dataDir = resolveDataDir(options.data);
  if (!existsSync(dataDir))
    throw new CliError('TALLY_CLI_INVALID_OPTION', `${dataDir} does not exist: check --data (or TALLY_DATA)`);
  const tokens = await openTokenStore(dataDir).listTokens();
  if (options.json) {
    console.log(JSON.stringify(tokens));
    return;
  }
  for (const token of tokens) console.log(`user:${token.name}\t${token.created}`);
}

export function registerTokenCommand(program: Command): void {
  const token = program
    .command('token')
    .description("the API's bearer tokens (writes need one; reads are public)");
  token
    .command('create')
    .description('create a token for user:NAME and print it (once)')
    .argument('<name>', 'the user the token acts as')
    .addOption(dataOption())
    .option('--json', 'as a JSON object: name, actor, token')
    .action(create);
  token
    .command('revoke')
    .description("remove user:NAME's token; requests bearing it are refused from then on")
    .argument('<name>', 'the user')
    .addOption(dataOption())
    .option('--json', 'as a JSON object: name, actor, revoked')
    .action(revoke);
  token
    .command('list')
    .description('every token: its user and when it was created (never the token)')
    .addOption(dataOption())
    .option('--json', 'as a JSON array')
    .action(list);
}
