import type { Command } from 'commander';
import { registerEventsCommand } from './events.ts';
import { registerLedgerCommand } from './ledger.ts';
import { registerServeCommand } from './serve.ts';

/** Every command of the `tally` CLI, in the order `--help` lists them. */
export function registerCommands(program: Command): void {
  registerServeCommand(program);
  registerLedgerCommand(program);
  registerEventsCommand(program);
}
