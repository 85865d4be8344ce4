/**
 * `tally nar dump PATH` writes the NAR of a tree to stdout, streaming, as `nix-store --dump` does;
 * `tally nar hash PATH` prints its NAR hash as `sha256:<nix32>` (add `--size` for the NAR size).
 */
import { once } from 'node:events';
import type { Command } from 'commander';

// The NAR code loads only for these commands.
const narCode = () => import('../../../adapters/store/nar-fs.ts');

async function dump(path: string): Promise<void> {
  const { dumpPath } = await narCode();
  for await (const chunk of dumpPath(path)) {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  }
}

async function hash(path: string, options: { readonly size?: boolean }): Promise<void> {
  const { hashPath } = await narCode();
  const { printNarHash } = await import('../../../domain/derivation/index.ts');
  const digest = await hashPath(path);
  console.log(options.size ? `${printNarHash(digest.hash)} ${digest.size}` : printNarHash(digest.hash));
}

export function registerNarCommand(program: Command): void {
  const nar = program.command('nar').description('Nix archives (NAR) of files and directories on disk');
  nar
    .command('dump')
    .description('write the NAR of a file, directory or symlink to stdout (like nix-store --dump)')
    .argument('<path>', 'the tree to archive')
    .action(dump);
  nar
    .command('hash')
    .description('print the NAR hash of a tree as sha256:<nix32> (like nix-hash --type sha256 --base32)')
    .argument('<path>', 'the tree to hash')
    .option('--size', 'also print the NAR size in bytes')
    .action(hash);
}
