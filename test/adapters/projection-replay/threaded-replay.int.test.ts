/**
 * The threaded replay of `tally replay` against a real ledger's files: the same hashes as a replay in
 * one thread, to the head and to an earlier position; an event no projection can read counted once
 * however many threads met it; the directory locked while the replayer is open, and let go when the
 * log cannot be opened.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import { decodeRecorded } from '../../../adapters/eventstore/read-domain-event.ts';
import { openDirectLedgerReader } from '../../../adapters/ledger/direct-reader.ts';
import { startLedger } from '../../../adapters/ledger/index.ts';
import { openThreadedReplayer } from '../../../adapters/projection-replay/threaded-replay.ts';
import { allProjections } from '../../../projections/catalogue.ts';
import { replayProjections } from '../../../projections/runtime/replay.ts';
import { hashState } from '../../../projections/runtime/state-hash.ts';
import { rejects, tempDir, withTimeout } from '../../helpers/uvu.ts';
import { syntheticFarm, toAppends } from '../../projections/fixtures/farm-history.ts';
import { addressOf, appendRaw } from '../eventstore/raw-append.ts';

const test = suite('replaying the ledger files in threads');
const quiet = pino({ level: 'silent' });
const names = allProjections.map((projection) => projection.name);

/** A small synthetic farm in a ledger at `directory`, with one build event whose data is not JSON in the middle. */
async function farmLedger(directory: string): Promise<{ middle: number }> {
  const ledger = await startLedger({ directory, port: 0, logger: quiet });
  const store = await connectEventStore(ledger.url);
  try {
    const farm = syntheticFarm({
      specs: 3,
      evaluationsPerSpec: 4,
      jobsPerEvaluation: 12,
      churn: 0.3,
      seed: 11,
    });
    const appends = toAppends(farm.events);
    const half = Math.floor(appends.length / 2);
    let middle = -1;
    for (const [index, { streamId, event }] of appends.entries()) {
      const result = await store.append(streamId, [event], 'any');
      if (index === half) {
        middle = result.position;
        // Wanted by projections in every thread: each meets it, and it must be counted once.
        await appendRaw(addressOf(ledger.url), 'build-broken', {
          type: 'BuildQueued',
          contentType: 'application/json',
          data: new TextEncoder().encode('{"drvPath": '),
        });
      }
    }
    return { middle };
  } finally {
    await store.close();
    await ledger.close();
  }
}

/** The hashes a replay in this thread gives, to `upTo`. */
async function hashesInOneThread(directory: string, upTo?: number) {
  const reader = await openDirectLedgerReader({ directory });
  try {
    const result = await replayProjections(
      reader,
      allProjections,
      decodeRecorded,
      upTo === undefined ? {} : { upTo },
    );
    return {
      hashes: new Map([...result.states].map(([name, state]) => [name, hashState(state)])),
      skipped: result.skipped.count,
      events: result.events,
    };
  } finally {
    await reader.close();
  }
}

test(
  'gives the hashes of a replay in one thread, to the head and to an earlier position, each skip counted once',
  withTimeout(120_000, async () => {
    const dir = await tempDir('tally-threaded-replay-');
    try {
      const { middle } = await farmLedger(dir.path);
      const whole = await hashesInOneThread(dir.path);
      const early = await hashesInOneThread(dir.path, middle);
      assert.is(whole.skipped, 1, 'the broken event is skipped in one thread');

      const replayer = await openThreadedReplayer(dir.path);
      try {
        const head = replayer.headPosition();
        const progress: number[] = [];
        const threaded = await replayer.replay({
          projections: names,
          upTo: head,
          threads: 2,
          progressEvery: 100,
          onProgress: (events) => progress.push(events),
        });
        assert.is(threaded.groups.length, 2);
        assert.equal(threaded.groups.flat().sort(), [...names].sort(), 'every projection in one group');
        assert.equal(threaded.hashes, whole.hashes);
        assert.is(threaded.events, whole.events);
        const { first, ...counted } = threaded.skipped;
        assert.equal(counted, { count: 1, byReason: { malformed: 1 } });
        assert.equal(
          first.map(({ stream, reason }) => [stream, reason]),
          [['build-broken', 'malformed']],
          'listed once, with its stream',
        );
        assert.ok(first[0]!.position > middle, 'at its own position, after the middle');
        assert.ok(progress.length > 0, 'progress was reported');

        // A larger young generation changes speed and memory, never the result.
        const partial = await replayer.replay({
          projections: names,
          upTo: middle,
          threads: 2,
          youngGenerationMb: 32,
        });
        assert.equal(partial.hashes, early.hashes);
        assert.is(partial.position, middle);
        assert.not.equal(partial.hashes, whole.hashes);
      } finally {
        await replayer.close();
      }
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'holds the directory while open: no ledger starts on it until the replayer is closed',
  withTimeout(60_000, async () => {
    const dir = await tempDir('tally-threaded-replay-lock-');
    try {
      await farmLedger(dir.path);
      const replayer = await openThreadedReplayer(dir.path);
      try {
        await rejects(startLedger({ directory: dir.path, port: 0, logger: quiet }), /in use by process/);
        await replayer.replay({
          projections: ['workers', 'queue'],
          upTo: replayer.headPosition(),
          threads: 2,
        });
      } finally {
        await replayer.close();
      }
      const ledger = await startLedger({ directory: dir.path, port: 0, logger: quiet });
      await ledger.close();
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'a log it cannot open is refused with the reason, and the directory is let go',
  withTimeout(60_000, async () => {
    const dir = await tempDir('tally-threaded-replay-unreadable-');
    try {
      await farmLedger(dir.path);
      const format = join(dir.path, 'format.json');
      const kept = await readFile(format);
      await writeFile(format, '{"segmentSize": ');
      // Opened in a thread of its own: what it found must still reach the caller.
      const refusal = (await rejects(
        openThreadedReplayer(dir.path),
        /is not a Tally ledger format file/,
      )) as { code?: string };
      assert.is(refusal.code, 'TALLY_LEDGER_FORMAT');
      await writeFile(format, kept);
      const ledger = await startLedger({ directory: dir.path, port: 0, logger: quiet });
      await ledger.close();
    } finally {
      await dir.cleanup();
    }
  }),
);

test.run();
