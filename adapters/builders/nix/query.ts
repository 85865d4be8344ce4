/** Runs a short `nix-store` query and returns its stdout; rejects with its stderr. */
import { execFile } from 'node:child_process';

export function queryNix(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('nix-store', args, { env, maxBuffer: 64 << 20, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`nix-store ${args.slice(0, 2).join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}
