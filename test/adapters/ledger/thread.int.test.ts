import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startLedgerThread } from '../../../adapters/ledger/index.ts';
import { rejects, tempDir, withTimeout } from '../../helpers/uvu.ts';

const test = suite('ledger on its own thread');

async function readAll(client: EventStoreDBClient, stream: string): Promise<unknown[]> {
  const found: unknown[] = [];
  for await (const resolved of client.readStream(stream)) found.push(resolved.event?.data);
  return found;
}

test(
  'serves the protocol from the thread, keeps what was appended across a close and a new thread',
  withTimeout(20_000, async () => {
    const dir = await tempDir('tally-ledger-thread-');
    try {
      const first = await startLedgerThread({ directory: dir.path, port: 0 });
      const client = EventStoreDBClient.connectionString(first.url);
      await client.appendToStream('thread-1', [jsonEvent({ type: 'Probe', data: { n: 1 } })]);
      await client.appendToStream('thread-1', [jsonEvent({ type: 'Probe', data: { n: 2 } })]);
      await client.dispose();
      await first.close();
      await first.ended;

      const second = await startLedgerThread({ directory: dir.path, port: 0 });
      const again = EventStoreDBClient.connectionString(second.url);
      assert.equal(await readAll(again, 'thread-1'), [{ n: 1 }, { n: 2 }]);
      await again.dispose();
      await second.close();
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'a ledger that cannot start rejects with its own code and message, and leaves no thread behind',
  withTimeout(20_000, async () => {
    const one = await tempDir('tally-ledger-thread-');
    const two = await tempDir('tally-ledger-thread-');
    const running = await startLedgerThread({ directory: one.path, port: 0 });
    try {
      const error = await rejects(() => startLedgerThread({ directory: two.path, port: running.port }));
      assert.is((error as { code?: string }).code, 'TALLY_LEDGER_LISTEN');
      assert.match((error as Error).message, String(running.port));
      // The directory the failed start opened was released: a ledger starts on it at once.
      const next = await startLedgerThread({ directory: two.path, port: 0 });
      await next.close();
    } finally {
      await running.close();
      await one.cleanup();
      await two.cleanup();
    }
  }),
);

test.run();
