/**
 * `tally keys generate NAME`: a new ed25519 signing key pair in Nix's formats, as
 * `nix-store --generate-binary-cache-key` makes: `NAME.secret` (mode 0600) and `NAME.public`.
 * Never overwrites an existing file.
 */
import { randomBytes } from 'node:crypto';
import { access, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * A key name as Nix writes it before the `:` of a key (`cache.example.org-1`), which also names the two
 * files: no `/` that would put them outside --dir, no `:` that would end the name early.
 */
const keyNamePattern = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

async function generate(name: string, options: { readonly dir: string }): Promise<void> {
  if (!keyNamePattern.test(name)) {
    throw new CliError(
      'TALLY_CLI_INVALID_OPTION',
      `${JSON.stringify(name)} is not a key name: use letters, digits, '.', '_', '+' and '-', starting with a letter or digit (such as cache.example.org-1)`,
    );
  }
  if (!(await exists(options.dir)))
    throw new CliError('TALLY_CLI_INVALID_OPTION', `--dir ${options.dir} does not exist: create it first`);
  // The key code loads only for this command.
  const { StoreError } = await import('../../../adapters/store/errors.ts');
  const { printPublicKey, printSecretKey, secretKeyFromSeed } = await import(
    '../../../domain/derivation/index.ts'
  );
  const key = secretKeyFromSeed(name, new Uint8Array(randomBytes(32)));
  const secretFile = join(options.dir, `${name}.secret`);
  const publicFile = join(options.dir, `${name}.public`);
  for (const file of [secretFile, publicFile]) {
    if (await exists(file))
      throw new StoreError('TALLY_STORE_FILE_EXISTS', `${file} already exists; not overwriting it`);
  }
  await writeFile(secretFile, printSecretKey(key), { mode: 0o600, flag: 'wx' });
  try {
    await writeFile(publicFile, printPublicKey(key.publicKey), { mode: 0o644, flag: 'wx' });
  } catch (error) {
    await rm(secretFile, { force: true });
    throw error;
  }
  console.log(`wrote ${secretFile} (keep it secret) and ${publicFile}`);
  console.log(printPublicKey(key.publicKey));
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('ed25519 keys for signing store paths, in Nix format');
  keys
    .command('generate')
    .description('create NAME.secret (mode 0600) and NAME.public, like nix-store --generate-binary-cache-key')
    .argument('<name>', 'the key name, e.g. cache.example.org-1')
    .option('--dir <dir>', 'where to write the two files', '.')
    .action(generate);
}
