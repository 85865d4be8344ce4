import { stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { EventStoreDBClient } from '@eventstore/db-client';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { RecordedEvent } from '../../../adapters/eventstore/event-store.ts';
import { openDirectLedgerReader, readLaidOutLog } from '../../../adapters/ledger/direct-reader.ts';
import { startLedger } from '../../../adapters/ledger/index.ts';
import {
  dropSnapshot,
  firstSegment,
  flipByte,
  ledgerWithBatches,
  recordSpans,
} from '../../fixtures/ledger-damage.ts';
import { recordedFields } from '../../fixtures/recorded-fields.ts';
import { rejects, tempDir, withTimeout } from '../../helpers/uvu.ts';
import { appendRaw } from '../eventstore/raw-append.ts';

const test = suite('reading the ledger files directly');
const quiet = pino({ level: 'silent' });
const text = (value: string) => new TextEncoder().encode(value);

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

test(
  'gives exactly what the client reads from $all: content, problems, positions; no system events',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-direct-reader-');
    try {
      const ledger = await startLedger({ directory: dir.path, port: 0, logger: quiet });
      const store = await connectEventStore(ledger.url);
      let throughClient: RecordedEvent[];
      try {
        // More than one page of the reader, several streams, odd content, a soft-deleted stream.
        for (let i = 0; i < 45; i++)
          await store.append(
            `direct-${i % 3}`,
            Array.from({ length: 100 }, (_, n) => ({
              type: 'Probe',
              data: { i, n },
              metadata: { by: 'test' },
            })),
            'any',
          );
        const address = `127.0.0.1:${ledger.port}`;
        await appendRaw(address, 'direct-odd', {
          type: 'Cut',
          contentType: 'application/json',
          data: text('{"a": tr'),
        });
        await appendRaw(address, 'direct-odd', {
          type: 'Blob',
          contentType: 'application/octet-stream',
          data: new Uint8Array([0, 1, 254]),
        });
        await appendRaw(address, 'direct-odd', {
          type: 'OddMetadata',
          contentType: 'application/json',
          data: text('{"ok":true}'),
          metadata: text('[1,2]'),
        });
        const client = EventStoreDBClient.connectionString(ledger.url);
        await client.deleteStream('direct-2');
        await client.dispose();
        throughClient = await collect(store.readAll());
      } finally {
        await store.close();
        await ledger.close();
      }

      const reader = await openDirectLedgerReader({ directory: dir.path, logger: quiet });
      try {
        const direct = await collect(reader.readAll());
        assert.is(direct.length, throughClient.length);
        assert.is(direct.length, 4503);
        assert.equal(direct.map(recordedFields), throughClient.map(recordedFields));
        assert.ok(direct.every((event) => !event.streamId.startsWith('$')));
        assert.equal(direct.at(-1)!.malformed, [{ part: 'metadata', reason: 'not-an-object', raw: '[1,2]' }]);
        assert.ok(reader.headPosition() >= direct.at(-1)!.position);
        const from = direct[2000]!.position;
        const rest = await collect(reader.readAll({ fromPosition: from }));
        assert.equal(rest.map(recordedFields), direct.slice(2000).map(recordedFields));
      } finally {
        await reader.close();
      }
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'refuses a data directory a running ledger holds',
  withTimeout(15_000, async () => {
    const dir = await tempDir('tally-direct-reader-');
    const ledger = await startLedger({ directory: dir.path, port: 0, logger: quiet });
    try {
      await rejects(() => openDirectLedgerReader({ directory: dir.path }), /in use/);
    } finally {
      await ledger.close();
      await dir.cleanup();
    }
  }),
);

test(
  'reports a damaged record as TALLY_LEDGER_CORRUPT, after the events before it, never as data',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-direct-reader-');
    try {
      // The snapshot written at stop covers the whole log, so opening does not look at the records.
      const batches = await ledgerWithBatches(dir.path, 4, 2000);
      const segment = firstSegment(dir.path);
      const record = (await recordSpans(segment))[5000]!;
      await flipByte(segment, record.offset + record.length - 1);
      const reader = await openDirectLedgerReader({ directory: dir.path, logger: quiet });
      try {
        const read: string[] = [];
        const error = await rejects(async () => {
          for await (const event of reader.readAll()) read.push(event.id);
        });
        assert.is((error as { code?: string }).code, 'TALLY_LEDGER_CORRUPT');
        assert.match(String(error), `offset ${record.offset}`);
        // Runs are checked whole before any of their events is served; what came before is intact.
        assert.ok(read.length < 5000, `${read.length} events read`);
        assert.equal(read, batches.flat().slice(0, read.length));
      } finally {
        await reader.close();
      }
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'reads the log without a torn tail: every complete batch, nothing of the torn one',
  withTimeout(20_000, async () => {
    const dir = await tempDir('tally-direct-reader-');
    try {
      const batches = await ledgerWithBatches(dir.path, 5);
      const segment = firstSegment(dir.path);
      await truncate(segment, (await stat(segment)).size - 5);
      const reader = await openDirectLedgerReader({ directory: dir.path, logger: quiet });
      try {
        const ids = (await collect(reader.readAll())).map((event) => event.id);
        assert.equal(ids, batches.slice(0, -1).flat());
      } finally {
        await reader.close();
      }
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'through a layout: the events the lock holder reads, from any position, with no lock, no index and nothing written',
  withTimeout(20_000, async () => {
    const dir = await tempDir('tally-direct-reader-');
    try {
      const batches = await ledgerWithBatches(dir.path, 5);
      const segment = firstSegment(dir.path);
      await truncate(segment, (await stat(segment)).size - 5);
      await dropSnapshot(dir.path);
      // The holder cuts the torn tail at open; the layout it gives out is of the log as cut.
      const owner = await openDirectLedgerReader({ directory: dir.path, logger: quiet });
      try {
        const cut = (await stat(segment)).size;
        const layout = owner.layout();
        assert.ok(layout.positions.buffer instanceof SharedArrayBuffer, 'positions are shared, not copied');
        const expected = await collect(owner.readAll());
        assert.equal(
          expected.map((event) => event.id),
          batches.slice(0, -1).flat(),
        );
        const readers = await Promise.all([1, 2].map(() => readLaidOutLog(layout)));
        for (const reader of readers) {
          assert.equal((await collect(reader.readAll())).map(recordedFields), expected.map(recordedFields));
          const from = expected[4]!.position;
          assert.equal(
            (await collect(reader.readAll({ fromPosition: from }))).map((event) => event.id),
            expected.slice(4).map((event) => event.id),
          );
          assert.is(reader.headPosition(), owner.headPosition());
          await reader.close();
        }
        assert.is((await stat(segment)).size, cut, 'nothing appended or cut');
        await rejects(() => stat(join(dir.path, 'index.snapshot')), /ENOENT/);
      } finally {
        await owner.close();
      }
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'through a layout: a record damaged since is reported as TALLY_LEDGER_CORRUPT, never served',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-direct-reader-');
    try {
      await ledgerWithBatches(dir.path, 4, 500);
      const owner = await openDirectLedgerReader({ directory: dir.path, logger: quiet });
      try {
        const layout = owner.layout();
        const segment = firstSegment(dir.path);
        const record = (await recordSpans(segment))[1200]!;
        await flipByte(segment, record.offset + record.length - 1);
        const reader = await readLaidOutLog(layout);
        try {
          const error = await rejects(async () => {
            for await (const event of reader.readAll()) void event.id;
          });
          assert.is((error as { code?: string }).code, 'TALLY_LEDGER_CORRUPT');
          assert.match(String(error), `offset ${record.offset}`);
        } finally {
          await reader.close();
        }
      } finally {
        await owner.close();
      }
    } finally {
      await dir.cleanup();
    }
  }),
);

test.run();
