/**
 * The real `tally token` commands against a data directory, and the tokens they make accepted by an
 * API serving the same directory.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { buildApp } from '../../api/app.ts';
import { tally } from '../helpers/tally-process.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';

const test = suite('tally token');

const unusedStore = new Proxy({} as EventStore, {
  get: () => () => {
    throw new Error('the event store is not used here');
  },
});

test(
  'creates, lists and revokes tokens that a server on the same data directory accepts and refuses',
  withTimeout(60_000, async () => {
    const dir = await tempDir();
    const app = await buildApp({
      eventStore: unusedStore,
      dataDir: dir.path,
      logger: pino({ level: 'silent' }),
      processMetrics: false,
    });
    app.post('/test/whoami', async (request) => ({ actor: request.actor }));
    try {
      const created = await tally(['token', 'create', 'dora', '--data', dir.path]);
      assert.is(created.code, 0, created.stderr);
      const token = created.stdout.trim();
      assert.match(token, /^tally_[A-Za-z0-9_-]{40,}$/);
      assert.not.ok((await readFile(join(dir.path, 'tokens.json'), 'utf8')).includes(token));

      const listed = await tally(['token', 'list', '--json', '--data', dir.path]);
      assert.equal(
        JSON.parse(listed.stdout).map((entry: { name: string }) => entry.name),
        ['dora'],
      );
      assert.not.ok(listed.stdout.includes(token));

      const write = () =>
        app.inject({ method: 'POST', url: '/test/whoami', headers: { authorization: `Bearer ${token}` } });
      assert.equal((await write()).json(), { actor: 'user:dora' });

      const again = await tally(['token', 'create', 'dora', '--data', dir.path]);
      assert.is(again.code, 1);
      assert.match(again.stderr, /TALLY_AUTH_TOKEN_EXISTS/);

      const revoked = await tally(['token', 'revoke', 'dora', '--data', dir.path]);
      assert.is(revoked.code, 0, revoked.stderr);
      assert.is((await write()).statusCode, 403);
    } finally {
      await app.close();
      await dir.cleanup();
    }
  }),
);

test.run();
