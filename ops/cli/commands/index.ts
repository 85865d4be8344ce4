import type { Command } from 'commander';
import { registerBuildCommand } from './build.ts';
import { registerDrvCommand } from './drv.ts';
import { registerEvalCommand } from './eval.ts';
import { registerEvalJobsCommand } from './eval-jobs.ts';
import { registerEventsCommand } from './events.ts';
import { registerGcCommand } from './gc.ts';
import { registerHistoryCommand } from './history.ts';
import { registerHookCommand } from './hook.ts';
import { registerKeysCommand } from './keys.ts';
import { registerLedgerCommand } from './ledger.ts';
import { registerNarCommand } from './nar.ts';
import { registerReplayCommand } from './replay.ts';
import { registerServeCommand } from './serve.ts';
import { registerSpecCommand } from './spec.ts';
import { registerStoreCommand } from './store.ts';
import { registerTokenCommand } from './token.ts';

/** Every command of the `tally` CLI, in the order `--help` lists them. */
export function registerCommands(program: Command): void {
  registerServeCommand(program);
  registerLedgerCommand(program);
  registerEventsCommand(program);
  registerNarCommand(program);
  registerDrvCommand(program);
  registerKeysCommand(program);
  registerEvalJobsCommand(program);
  registerStoreCommand(program);
  registerGcCommand(program);
  registerTokenCommand(program);
  registerReplayCommand(program);
  registerSpecCommand(program);
  registerBuildCommand(program);
  registerHistoryCommand(program);
  registerEvalCommand(program);
  registerHookCommand(program);
}
