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

      // The same with --json: one JSON object on stdout, the token in it accepted, then refused.
      const createdJson = await tally(['token', 'create', 'emil', '--json', '--data', dir.path]);
      assert.is(createdJson.code, 0, createdJson.stderr);
      const emil = JSON.parse(createdJson.stdout) as { name: string; actor: string; token: string };
      assert.equal([emil.name, emil.actor], ['emil', 'user:emil']);
      const asEmil = () =>
        app.inject({
          method: 'POST',
          url: '/test/whoami',
          headers: { authorization: `Bearer ${emil.token}` },
        });
      assert.equal((await asEmil()).json(), { actor: 'user:emil' });
      const revokedJson = await tally(['token', 'revoke', 'emil', '--json', '--data', dir.path]);
      assert.is(revokedJson.code, 0, revokedJson.stderr);
      assert.equal(JSON.parse(revokedJson.stdout), { name: 'emil', actor: 'user:emil', revoked: true });
      assert.is((await asEmil()).statusCode, 403);
      const unknown = await tally(['token', 'revoke', 'emil', '--json', '--data', dir.path]);
      assert.is(unknown.code, 1);
      assert.is(unknown.stdout, '');
      assert.match(unknown.stderr, /TALLY_AUTH_TOKEN_NOT_FOUND/);
    } finally {
      await app.close();
      await dir.cleanup();
    }
  }),
);

test.run();
