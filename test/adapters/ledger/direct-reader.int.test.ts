import { stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { EventStoreDBClient } from '@eventstore/db-client';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { RecordedEvent } from '../../../adapters/eventstore/event-store.ts';
import { openDirectLedgerReader } from '../../../adapters/ledger/direct-reader.ts';
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
  'read-only: changes nothing, refuses a torn tail, and reads once the tail is cut',
  withTimeout(20_000, async () => {
    const dir = await tempDir('tally-direct-reader-');
    try {
      const batches = await ledgerWithBatches(dir.path, 5);
      const segment = firstSegment(dir.path);
      const size = (await stat(segment)).size;
      await truncate(segment, size - 5);
      await dropSnapshot(dir.path);
      const refusal = await openDirectLedgerReader({ directory: dir.path, readOnly: true }).then(
        () => undefined,
        (error: { code?: string; message: string }) => error,
      );
      assert.is(refusal?.code, 'TALLY_LEDGER_TORN_TAIL', refusal?.message);
      assert.match(refusal!.message, /open the ledger once with its lock/);
      assert.is((await stat(segment)).size, size - 5, 'the torn tail is left as it was');

      // A reader with the lock cuts the tail and writes an index snapshot at close; read-only ones then read.
      const owner = await openDirectLedgerReader({ directory: dir.path, logger: quiet });
      await owner.close();
      const cut = (await stat(segment)).size;
      assert.ok(cut < size - 5, 'the lock holder cut the tail off');
      const snapshot = await stat(join(dir.path, 'index.snapshot'));
      const readers = await Promise.all(
        [1, 2].map(() => openDirectLedgerReader({ directory: dir.path, readOnly: true })),
      );
      for (const reader of readers) {
        assert.equal(
          (await collect(reader.readAll())).map((event) => event.id),
          batches.slice(0, -1).flat(),
        );
        await reader.close();
      }
      assert.is((await stat(segment)).size, cut);
      assert.is(
        (await stat(join(dir.path, 'index.snapshot'))).mtimeMs,
        snapshot.mtimeMs,
        'no snapshot written',
      );
    } finally {
      await dir.cleanup();
    }
  }),
);

test.run();
