/**
 * `npm run bench -- [suite…]`: runs the named suites (all of them when none is named), prints one
 * table per suite on stdout and writes its JSON under the OS temp dir.
 *
 * Benchmarks report, they do not gate: the exit code is 0 even when a figure misses its target, and
 * non-zero only when a benchmark crashed or a name is unknown.
 */
import { parseArgs } from 'node:util';
import { createSuiteRun, type SuiteRun } from './harness/context.ts';
import { renderTable, writeResults } from './harness/report.ts';
import { suites } from './suites.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { help: { type: 'boolean', short: 'h' } },
});

if (values.help) {
  console.log(`Usage: npm run bench -- [suite…]\nSuites: ${Object.keys(suites).join(', ')}`);
  process.exit(0);
}

const names = positionals.length > 0 ? positionals : Object.keys(suites);
const unknown = names.filter((name) => !(name in suites));
if (unknown.length > 0) {
  console.error(`Unknown bench suite: ${unknown.join(', ')} (known: ${Object.keys(suites).join(', ')})`);
  process.exit(2);
}

// Ctrl-C or a CI timeout must still stop the servers and remove the temp dirs a suite started.
// A second signal while cleaning up means "now".
let active: SuiteRun | undefined;
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (interrupted) process.exit(code);
    interrupted = true;
    process.stderr.write(`\n${signal}: cleaning up (again to quit at once)…\n`);
    void (active?.cleanup() ?? Promise.resolve()).finally(() => process.exit(code));
  });
}

let crashed = false;
for (const name of names) {
  const load = suites[name]!;
  const run = createSuiteRun(name);
  active = run;
  try {
    await (await load()).run(run.context);
  } catch (error) {
    // A suite's own code failed outside any single benchmark (its setup, say): report it as a crash.
    run.context.record({ name: `${name} (suite)`, outcome: 'CRASH', baselines: [], error: String(error) });
    console.error(error);
  } finally {
    await run.cleanup();
  }
  active = undefined;
  console.log(`\n${renderTable(name, run.results)}\n`);
  console.log(`Results written to ${await writeResults(name, run.results)}`);
  crashed ||= run.crashed();
}

process.exitCode = crashed ? 1 : 0;
