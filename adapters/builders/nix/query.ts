/**
 * Runs a short `nix-store` query and returns its stdout; rejects with its stderr. Off the event
 * loop (`exec-thread.ts`): the nix builder queries for every build, and each spawn would stall it.
 */
import { execFileOffThread } from '../../processes/exec-thread.ts';

export async function queryNix(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout, stderr, error } = await execFileOffThread('nix-store', args, {
    env,
    maxBuffer: 64 << 20,
    timeout: 60_000,
  });
  if (error) throw new Error(`nix-store ${args.slice(0, 2).join(' ')}: ${stderr.trim() || error.message}`);
  return stdout;
}
