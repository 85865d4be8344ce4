/**
 * What each projection costs a replay thread, alone, on a real farm's ledger: the files read, the
 * events the projection handles decoded, and its fold, in CPU microseconds per event of the whole
 * log, each projection in a fresh process so that no other state shares its heap. The first line is
 * the reading alone (every record checked, no event parsed), which every thread pays whatever it
 * folds; `tally replay` balances its threads by what each projection adds to it
 * (`ops/cli/commands/replay-weights.ts`).
 *
 * Unlike `fold-costs.ts` (the fold alone, on events made in memory) this counts the parsing and
 * decoding a projection causes: a projection that handles a frequent type makes its thread parse
 * every event of that type, which costs more than many folds.
 *
 *   node --import tsx ops/bench/core/replay-costs.ts LEDGER_DIR   (no server may hold the directory)
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeRecorded } from '../../../adapters/eventstore/read-domain-event.ts';
import { openDirectLedgerReader } from '../../../adapters/ledger/direct-reader.ts';
import { allProjections } from '../../../projections/catalogue.ts';
import { replayProjections } from '../../../projections/runtime/replay.ts';

const [directory, only] = process.argv.slice(2);
if (!directory) {
  process.stderr.write(
    'usage: replay-costs.ts LEDGER_DIR  (the ledger directory of a farm no server holds)\n',
  );
  process.exit(2);
}

/** CPU µs per event of reading the whole log and folding `name` (none: reading alone). */
async function measureOne(name: string): Promise<number> {
  const reader = await openDirectLedgerReader({ directory: directory! });
  try {
    const projections = allProjections.filter((projection) => projection.name === name);
    const started = process.cpuUsage();
    let events = 0;
    if (projections.length === 0) for await (const _ of reader.readAll()) events += 1;
    else events = (await replayProjections(reader, projections, decodeRecorded)).events;
    const cpu = process.cpuUsage(started);
    return (cpu.user + cpu.system) / Math.max(1, events);
  } finally {
    await reader.close();
  }
}

if (only !== undefined) {
  process.stdout.write(`${await measureOne(only)}\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  const inFreshProcess = (name: string) =>
    Number(execFileSync(process.execPath, ['--import', 'tsx', self, directory, name], { encoding: 'utf8' }));
  const reading = inFreshProcess('(reading)');
  process.stdout.write(`${'(reading)'.padEnd(12)} ${reading.toFixed(2).padStart(6)} µs/event\n`);
  for (const projection of allProjections) {
    const micros = inFreshProcess(projection.name);
    process.stdout.write(
      `${projection.name.padEnd(12)} ${micros.toFixed(2).padStart(6)} µs/event, ` +
        `${(micros - reading).toFixed(2).padStart(6)} beyond reading\n`,
    );
  }
}
