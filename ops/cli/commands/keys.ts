/**
 * `tally keys generate NAME`: a new ed25519 signing key pair in Nix's formats, as
 * `nix-store --generate-binary-cache-key` makes: `NAME.secret` (mode 0600) and `NAME.public`.
 * Never overwrites an existing file.
 */
import { randomBytes } from 'node:crypto';
import { access, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function generate(name: string, options: { readonly dir: string }): Promise<void> {
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
