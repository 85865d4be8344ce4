import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTokenStore, TokenStoreError } from '../../api/auth/token-store.ts';
import { rejects, tempDir, withTimeout } from '../helpers/uvu.ts';
import { type ApiFixture, startApiFixture } from './api-fixture.ts';

const store = suite('the token store (<data>/tokens.json)');

store(
  'creates a first token once, kept as a hash in a file only its owner can read',
  withTimeout(10_000, async () => {
    const dir = await tempDir();
    try {
      const tokens = openTokenStore(dir.path, () => new Date('2026-01-02T03:04:05Z'));
      const first = await tokens.createFirstToken();
      assert.type(first, 'string');
      assert.ok(first!.length >= 40);
      const path = join(dir.path, 'tokens.json');
      assert.is((await stat(path)).mode & 0o777, 0o600);
      const text = await readFile(path, 'utf8');
      assert.not.ok(text.includes(first!), 'no plaintext token in the file');
      assert.match(text, /"hash": "[0-9a-f]{64}"/);
      assert.equal(await tokens.listTokens(), [{ name: 'admin', created: '2026-01-02T03:04:05.000Z' }]);
      assert.is(await tokens.verify(first!), 'user:admin');
      await tokens.revokeToken('admin');
      assert.is(await tokens.createFirstToken(), undefined, 'not again, even with every token revoked');
      assert.is(await tokens.verify(first!), undefined);
    } finally {
      await dir.cleanup();
    }
  }),
);

store(
  'takes back a first token never printed, so that the next start makes one again',
  withTimeout(10_000, async () => {
    const dir = await tempDir();
    try {
      const tokens = openTokenStore(dir.path);
      const unprinted = await tokens.createFirstToken();
      await tokens.withdrawFirstToken('admin');
      assert.is(await tokens.verify(unprinted!), undefined);
      const again = await tokens.createFirstToken();
      assert.type(again, 'string', 'a first token again');
      // Once others have tokens, only the named one goes.
      await tokens.createToken('bob');
      await tokens.withdrawFirstToken('admin');
      assert.equal(
        (await tokens.listTokens()).map((token) => token.name),
        ['bob'],
      );
      assert.is(await tokens.createFirstToken(), undefined);
    } finally {
      await dir.cleanup();
    }
  }),
);

store(
  'refuses a second token for a name, revoking an unknown name, and names that are not names',
  withTimeout(10_000, async () => {
    const dir = await tempDir();
    try {
      const tokens = openTokenStore(dir.path);
      await tokens.createToken('bob');
      const code = (expected: string) => (error: unknown) =>
        error instanceof TokenStoreError && error.code === expected;
      await rejects(tokens.createToken('bob'), code('TALLY_AUTH_TOKEN_EXISTS'));
      await rejects(tokens.revokeToken('carol'), code('TALLY_AUTH_TOKEN_NOT_FOUND'));
      await rejects(tokens.createToken('../etc'), code('TALLY_AUTH_INVALID_NAME'));
      await rejects(tokens.createToken(''), code('TALLY_AUTH_INVALID_NAME'));
    } finally {
      await dir.cleanup();
    }
  }),
);

store.run();

interface Context {
  api: ApiFixture;
  logs: string[];
}

const http = suite<Context>('authentication of requests');
http.before(async (context) => {
  context.logs = [];
  const logs = context.logs;
  context.api = await startApiFixture({
    logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }),
    routes(app) {
      app.post('/test/whoami', async (request) => ({ actor: request.actor }));
      app.get('/test/whoami', async (request) => ({ actor: request.actor }));
    },
  });
});
http.after(async (context) => {
  await context.api.stop();
});

const post = (api: ApiFixture, authorization?: string) =>
  api.app.inject({
    method: 'POST',
    url: '/test/whoami',
    ...(authorization ? { headers: { authorization } } : {}),
  });

http(
  'refuses a write without a token with 401 TALLY_AUTH_MISSING_TOKEN',
  withTimeout(10_000, async ({ api }) => {
    for (const authorization of [undefined, 'Basic YWxpY2U6c2VjcmV0', 'Bearer']) {
      const response = await post(api, authorization);
      assert.is(response.statusCode, 401, String(authorization));
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      assert.is(response.headers['www-authenticate'], 'Bearer');
      assert.is(response.json().code, 'TALLY_AUTH_MISSING_TOKEN');
    }
  }),
);

http(
  'refuses a write with a wrong token with 403 TALLY_AUTH_BAD_TOKEN',
  withTimeout(10_000, async ({ api }) => {
    const response = await post(api, `Bearer ${api.token}x`);
    assert.is(response.statusCode, 403);
    assert.is(response.json().code, 'TALLY_AUTH_BAD_TOKEN');
  }),
);

http(
  'lets a write with the right token through, with its actor on the request',
  withTimeout(10_000, async ({ api }) => {
    const response = await post(api, `Bearer ${api.token}`);
    assert.is(response.statusCode, 200);
    assert.equal(response.json(), { actor: 'user:alice' });
  }),
);

http(
  'keeps reads public, and knows the actor of a read that sends a valid token',
  withTimeout(10_000, async ({ api }) => {
    const anonymous = await api.app.inject({ url: '/test/whoami' });
    assert.equal(anonymous.json(), { actor: null });
    const badToken = await api.app.inject({ url: '/test/whoami', headers: { authorization: 'Bearer nope' } });
    assert.equal(badToken.json(), { actor: null });
    const known = await api.app.inject({
      url: '/test/whoami',
      headers: { authorization: `Bearer ${api.token}` },
    });
    assert.equal(known.json(), { actor: 'user:alice' });
  }),
);

http(
  'takes tokens created and revoked by another process (the CLI) without a restart',
  withTimeout(10_000, async ({ api }) => {
    const cli = openTokenStore(api.dataDir);
    const bob = await cli.createToken('bob');
    assert.equal((await post(api, `Bearer ${bob}`)).json(), { actor: 'user:bob' });
    await cli.revokeToken('bob');
    assert.is((await post(api, `Bearer ${bob}`)).statusCode, 403);
  }),
);

http(
  'never writes a token to the log',
  withTimeout(10_000, async ({ api, logs }) => {
    await post(api, `Bearer ${api.token}`);
    await post(api, `Bearer ${api.token}x`);
    assert.ok(logs.length > 0);
    assert.not.ok(logs.some((line) => line.includes(api.token)));
  }),
);

http.run();

const privateReads = suite<{ api: ApiFixture }>('authentication with private reads');
privateReads.before(async (context) => {
  context.api = await startApiFixture({ publicReads: false });
});
privateReads.after(async (context) => {
  await context.api.stop();
});

privateReads(
  'asks reads for a token too, except the health check',
  withTimeout(10_000, async ({ api }) => {
    const read = await api.app.inject({ url: '/api/history/build/x' });
    assert.is(read.statusCode, 401);
    const withToken = await api.app.inject({
      url: '/api/history/build/x',
      headers: { authorization: `Bearer ${api.token}` },
    });
    assert.is(withToken.statusCode, 404);
    assert.is((await api.app.inject({ url: '/healthz' })).statusCode, 200);
  }),
);

privateReads.run();
