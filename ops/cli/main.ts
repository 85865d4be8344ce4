/**
 * The `tally` command line. Each command lives in its own file under `commands/` and registers itself
 * on the program; this file only assembles them and turns thrown errors into a message and exit code.
 */
import { Command } from 'commander';
import { registerCommands } from './commands/index.ts';
import { reportFailure } from './failure.ts';
import { exitQuietlyWhenStdoutCloses } from './output.ts';
import { packageVersion } from './version.ts';

const program = new Command('tally')
  .description('Tally: an event-sourced CI build farm for Nix and Guix derivations')
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  .showHelpAfterError('(run with --help for usage)')
  .configureHelp({ showGlobalOptions: true });

registerCommands(program);
// `tally … | head`: every command ends quietly when its reader goes, as Unix tools do.
exitQuietlyWhenStdoutCloses();

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportFailure(error);
}
