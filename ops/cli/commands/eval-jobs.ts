/**
 * `tally eval-jobs DIR`: evaluates a checkout with the native or the nix evaluator and prints its
 * jobs (name, system, .drv path, outputs), or why the evaluation failed, with its log, and exit 1.
 */
import { existsSync, statSync } from 'node:fs';
import { type Command, Option } from 'commander';
import type { EvaluationResult } from '../../../adapters/evaluators/evaluator.ts';
import { defaultJobsetFile } from '../../../adapters/evaluators/native/jobset-file.ts';
import { CliError } from '../cli-error.ts';
import { integerOption } from '../options.ts';
import { nextStopSignal } from '../stop-signal.ts';

interface EvalJobsOptions {
  readonly evaluator: 'native' | 'nix';
  readonly entry?: string;
  readonly storeDir: string;
  readonly system?: string[];
  readonly timeout: number;
  readonly json?: boolean;
}

function print(result: Extract<EvaluationResult, { ok: true }>, json: boolean): void {
  if (json) {
    const drvs = [...result.drvFiles.keys()];
    console.log(
      JSON.stringify(
        { jobs: result.jobs, drvFiles: drvs, sources: Object.fromEntries(result.sources) },
        null,
        2,
      ),
    );
    return;
  }
  for (const job of result.jobs) {
    const outputs = Object.entries(job.outputs).map(([name, path]) => `${name}=${path}`);
    console.log(`${job.name}\t${job.system}\t${job.drvPath}\t${outputs.join(' ')}`);
  }
}

async function evalJobs(dir: string, options: EvalJobsOptions): Promise<void> {
  // Spawned in a missing directory, the evaluator would fail as if node itself were missing.
  if (!existsSync(dir))
    throw new CliError('TALLY_CLI_INVALID_OPTION', `${dir} does not exist: give the checkout's directory`);
  if (!statSync(dir).isDirectory())
    throw new CliError('TALLY_CLI_INVALID_OPTION', `${dir} is a file: give the checkout's directory`);
  // The evaluators (and the derivation code under them) load only for this command.
  const { defaultEvaluationLimits } = await import('../../../adapters/evaluators/evaluator.ts');
  const evaluator =
    options.evaluator === 'nix'
      ? (await import('../../../adapters/evaluators/nix/nix-evaluator.ts')).createNixEvaluator()
      : (await import('../../../adapters/evaluators/native/native-evaluator.ts')).createNativeEvaluator();
  // Ctrl-C or a stop stops the evaluator too: it runs in a process group of its own, which the
  // terminal's signal does not reach, and its time limit would end with this process.
  const stopping = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  void nextStopSignal().then((signal) => {
    stoppedBy = signal;
    stopping.abort();
  });
  const result = await evaluator.evaluate({
    signal: stopping.signal,
    checkoutDir: dir,
    entry: options.entry ?? (options.evaluator === 'nix' ? 'release.nix' : defaultJobsetFile),
    storeDir: options.storeDir,
    systems: options.system ?? [],
    limits: {
      ...defaultEvaluationLimits,
      timeoutMs: options.timeout * 1000,
    },
  });
  if (stoppedBy) {
    console.error(`tally: the evaluation was stopped (${stoppedBy}), and its programs with it`);
    process.exitCode = 130;
    return;
  }
  if (result.ok) return print(result, options.json ?? false);
  if (result.log.trim() !== '') console.error(result.log.trimEnd());
  console.error(
    `tally: the ${evaluator.name} evaluation of ${dir} failed (${result.reason}): ${result.message}`,
  );
  process.exitCode = 1;
}

export function registerEvalJobsCommand(program: Command): void {
  program
    .command('eval-jobs')
    .description('evaluate a checkout and print its jobs (name, system, .drv path, outputs)')
    .argument('<dir>', 'the checked-out repository')
    .addOption(
      new Option('--evaluator <name>', 'which evaluator').choices(['native', 'nix']).default('native'),
    )
    .option('--entry <file>', `the file to evaluate (default: ${defaultJobsetFile}, or release.nix for nix)`)
    .option('--store-dir <dir>', 'the store directory paths are computed for', '/nix/store')
    .option(
      '--system <system>',
      'keep only the jobs of this system (repeat it for more)',
      (system: string, earlier: string[] = []) => [...earlier, system],
    )
    .option(
      '--timeout <seconds>',
      'stop the evaluation after this many seconds',
      integerOption('--timeout', { min: 1 }),
      300,
    )
    .option('--json', 'print the jobs as JSON')
    .action(evalJobs);
}
