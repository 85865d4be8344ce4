/**
 * Mistakes a user makes on the command line, each answered by the real executable with one line that
 * carries a code and says what to do, exit 1 — never a stack trace — and nothing written where it
 * should not be.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tally } from '../helpers/tally-process.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';

const test = suite('bad input on the command line');

/** The run failed the way a user's mistake should: exit 1, one coded line, no stack. */
function refused(run: { code: number | null; stderr: string }, code: string, hint: RegExp) {
  assert.is(run.code, 1, run.stderr);
  assert.match(run.stderr, new RegExp(`\\[${code}\\]`));
  assert.match(run.stderr, hint);
  assert.not.match(run.stderr, /unexpected failure| {4}at /);
}

test(
  'refuses key names that leave --dir, and a --dir that does not exist',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-keys-');
    try {
      const inside = join(dir.path, 'keys');
      const escaping = await tally(['keys', 'generate', '../evil', '--dir', dir.path]);
      refused(escaping, 'TALLY_CLI_INVALID_OPTION', /not a key name/);
      assert.not.ok(existsSync(join(dir.path, '..', 'evil.secret')));
      refused(
        await tally(['keys', 'generate', 'cache-1', '--dir', inside]),
        'TALLY_CLI_INVALID_OPTION',
        /create it first/,
      );
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'refuses a webhook secret for a name no specification can have, storing nothing',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-hook-');
    try {
      for (const name of ['../x y', '__proto__']) {
        const run = await tally(['hook', 'secret', name, '--data', dir.path]);
        refused(run, 'TALLY_CLI_INVALID_OPTION', /not a specification name/);
      }
      assert.not.ok(existsSync(join(dir.path, 'hook-secrets.json')));
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  "replay of a ledger whose format file is not a ledger's names the file and what to check",
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-badformat-');
    try {
      await mkdir(join(dir.path, 'ledger'));
      await writeFile(join(dir.path, 'ledger', 'format.json'), '{"segmentSize": ');
      refused(
        await tally(['replay', '--data', dir.path, '--no-save']),
        'TALLY_LEDGER_FORMAT',
        /format\.json is not a Tally ledger format file: is --data the right directory/,
      );
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'replay of a data directory that holds no ledger says so, and makes none',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-noledger-');
    try {
      const typo = join(dir.path, 'typo');
      refused(await tally(['replay', '--data', typo]), 'TALLY_CLI_NO_LEDGER', /check --data/);
      assert.not.ok(existsSync(typo));
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'refuses a port out of range, zero evaluations, an empty count and a pattern that does not compile at once',
  withTimeout(30_000, async () => {
    const port = await tally(['serve', '--port', '70000']);
    assert.is(port.code, 1);
    assert.match(port.stderr, /--port must be a whole number from 0 to 65535/);
    const evaluations = await tally(['serve', '--evaluations', '0']);
    assert.is(evaluations.code, 1);
    assert.match(evaluations.stderr, /--evaluations must be a whole number 1 or more/);
    // An empty value (an unset variable in a script) is not 0: a collection would keep nothing.
    for (const [option, value] of [
      ['--keep-evaluations', ''],
      ['--grace', ''],
      ['--keep-evaluations', '0x1'],
    ] as const) {
      const gc = await tally(['gc', '--dry-run', option, value]);
      assert.is(gc.code, 1, `${option} ${JSON.stringify(value)}`);
      assert.match(gc.stderr, new RegExp(`${option} must be a whole number 0 or more`));
    }
    const regex = await tally(['events', 'tail', '--type-regex', '(']);
    assert.is(regex.code, 1);
    assert.match(regex.stderr, /--type-regex \( is not a regular expression/);
  }),
);

test(
  'gives up on a server that takes a connection and never answers',
  withTimeout(30_000, async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const api = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const started = Date.now();
      refused(
        await tally(['spec', 'list', '--api', api], { TALLY_API_TIMEOUT: '1' }),
        'TALLY_CLI_API_TIMEOUT',
        /did not answer GET \/api\/specs within 1 s: .*--api-timeout gives it longer/,
      );
      assert.ok(Date.now() - started < 15_000, "within its timeout, not the HTTP client's minutes");
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  }),
);

test(
  'answers an --api that is not a URL, or not a Tally server, and a name that is a path step',
  withTimeout(30_000, async () => {
    refused(await tally(['spec', 'list', '--api', 'notaurl']), 'TALLY_CLI_INVALID_API_URL', /is not a URL/);
    const paths: string[] = [];
    const other = createServer((request, response) => {
      paths.push(request.url ?? '');
      response.setHeader('content-type', 'text/plain');
      response.end('hello from something else');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      refused(await tally(['spec', 'list', '--api', base]), 'TALLY_CLI_NOT_TALLY', /not JSON/);
      // A server behind a path prefix keeps it.
      await tally(['spec', 'list', '--api', `${base}/prefix/`]);
      assert.is(paths.at(-1), '/prefix/api/specs');
      // `..` names nothing, and a URL would step up the path for it: refused before any request.
      const before = paths.length;
      refused(await tally(['spec', 'show', '..', '--api', base]), 'TALLY_CLI_INVALID_NAME', /names nothing/);
      assert.is(paths.length, before);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  }),
);

test(
  'store verify and gc of a data directory that holds no store, or of a store directory that does not exist, say so and make none',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-nostore-');
    try {
      const typo = join(dir.path, 'typo');
      refused(await tally(['store', 'verify', '--data', typo]), 'TALLY_CLI_NO_STORE', /check --data/);
      refused(await tally(['gc', '--dry-run', '--data', typo]), 'TALLY_CLI_NO_STORE', /check --data/);
      assert.not.ok(existsSync(typo));
      // A data directory with a store, and a store directory mistyped.
      const data = join(dir.path, 'data');
      await mkdir(join(data, 'store'), { recursive: true });
      const elsewhere = join(dir.path, 'nosuch');
      for (const command of [
        ['store', 'verify'],
        ['gc', '--dry-run'],
      ])
        refused(
          await tally([...command, '--data', data, '--store-dir', elsewhere]),
          'TALLY_CLI_NO_STORE',
          /the store directory .*nosuch does not exist: check --store-dir/,
        );
      assert.not.ok(existsSync(elsewhere));
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'names a path it cannot use, and a damaged token or secrets file, without a stack trace',
  withTimeout(60_000, async () => {
    const dir = await tempDir('tally-files-');
    try {
      const file = join(dir.path, 'a-file');
      await writeFile(file, 'not a directory');
      refused(
        await tally(['token', 'list', '--data', file]),
        'TALLY_CLI_FILE_ACCESS',
        /cannot use .*a-file\/tokens\.json: a part of it is a file, not a directory/,
      );
      refused(
        await tally(['drv', 'show', dir.path]),
        'TALLY_CLI_FILE_ACCESS',
        /it is a directory, not a file/,
      );
      refused(
        await tally(['serve', '--data', file, '--port', '0', '--ledger-port', '0']),
        'TALLY_CLI_FILE_ACCESS',
        /it exists and is not a directory/,
      );
      const data = join(dir.path, 'data');
      await mkdir(data);
      await writeFile(join(data, 'tokens.json'), '{bad');
      refused(
        await tally(['token', 'create', 'bob', '--data', data]),
        'TALLY_AUTH_TOKEN_FILE_INVALID',
        /is not a Tally token file: restore it from a backup/,
      );
      await writeFile(join(data, 'hook-secrets.json'), '[1, 2]');
      refused(
        await tally(['hook', 'secret', 'demo', '--data', data]),
        'TALLY_HOOK_SECRETS_FILE_INVALID',
        /is not a Tally webhook secrets file/,
      );
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'a start on an event store that cannot be reached leaves no data directory behind',
  withTimeout(60_000, async () => {
    const dir = await tempDir('tally-unreachable-');
    try {
      const data = join(dir.path, 'new');
      refused(
        await tally(['serve', '--data', data, '--port', '0', '--eventstore', 'esdb://127.0.0.1:1?tls=false']),
        'TALLY_EVENTSTORE_UNAVAILABLE',
        /cannot reach the event store at esdb:\/\/127\.0\.0\.1:1/,
      );
      assert.not.ok(existsSync(data), 'no empty data directory made');
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'a start on a port already in use fails with a code, and keeps no token it never printed',
  withTimeout(60_000, async () => {
    const dir = await tempDir('tally-busy-');
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((busy.address() as AddressInfo).port);
      const run = await tally([
        'serve',
        '--data',
        dir.path,
        '--port',
        port,
        '--ledger-port',
        '0',
        '--local-workers',
        '0',
      ]);
      refused(
        run,
        'TALLY_SERVE_PORT_IN_USE',
        /already in use: stop what listens there, or choose another --port/,
      );
      const ledgerBusy = await tally(['serve', '--data', dir.path, '--port', '0', '--ledger-port', port]);
      refused(
        ledgerBusy,
        'TALLY_LEDGER_LISTEN',
        /the port is in use; stop what listens there, or choose another --ledger-port/,
      );
      assert.not.match(ledgerBusy.stderr, /No address added/, "grpc-js's own line is not shown");
      const tokens = await tally(['token', 'list', '--data', dir.path]);
      assert.is(tokens.code, 0, tokens.stderr);
      assert.not.match(tokens.stdout, /admin/);
      // No token file: the next start makes and prints the first token.
      assert.not.ok(existsSync(join(dir.path, 'tokens.json')), 'the token file is gone');
    } finally {
      await new Promise((resolve) => busy.close(resolve));
      await dir.cleanup();
    }
  }),
);

test.run();
