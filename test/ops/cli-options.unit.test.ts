import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DirectoryLockedError,
  lockDirectory,
  staleAfterMs,
} from '../../adapters/ledger/storage/file/directory-lock.ts';
import { ownerTag, ownPidNamespace } from '../../adapters/processes/process-start.ts';
import { CliError } from '../../ops/cli/cli-error.ts';
import { categoryOf } from '../../ops/cli/commands/events-stats.ts';
import { tailFilter, tailStart } from '../../ops/cli/commands/events-tail.ts';
import {
  readLedgerEndpoint,
  removeLedgerEndpoint,
  resolveDataDir,
  resolveEventStoreUrl,
  writeLedgerEndpoint,
} from '../../ops/cli/options.ts';
import { rejects, tempDir } from '../helpers/uvu.ts';

const dataDir = suite('the data directory');

dataDir('comes from --data, then TALLY_DATA, then .tally in the working directory', () => {
  assert.is(resolveDataDir('/srv/tally', { TALLY_DATA: '/elsewhere' }), '/srv/tally');
  assert.is(resolveDataDir(undefined, { TALLY_DATA: '/elsewhere' }), '/elsewhere');
  assert.is(resolveDataDir(undefined, {}), resolve('.tally'));
  assert.is(resolveDataDir(undefined, { TALLY_DATA: '' }), resolve('.tally'));
});

dataDir.run();

const endpoint = suite('the local ledger endpoint');

endpoint('is read back while its process lives and forgotten once removed', async () => {
  const dir = await tempDir();
  try {
    await writeLedgerEndpoint(dir.path, { url: 'esdb://127.0.0.1:9?tls=false', pid: process.pid });
    assert.equal(await readLedgerEndpoint(dir.path), {
      url: 'esdb://127.0.0.1:9?tls=false',
      pid: process.pid,
    });
    assert.is(await resolveEventStoreUrl({ data: dir.path }), 'esdb://127.0.0.1:9?tls=false');
    await removeLedgerEndpoint(dir.path);
    assert.is(await readLedgerEndpoint(dir.path), undefined);
  } finally {
    await dir.cleanup();
  }
});

endpoint('is ignored when its pid now runs a process started at another time (a pid reused)', async () => {
  const dir = await tempDir();
  try {
    const url = 'esdb://127.0.0.1:9?tls=false';
    const announced = (owner: string) =>
      writeFile(join(dir.path, 'ledger.json'), JSON.stringify({ url, pid: process.pid, owner }));
    await announced(ownerTag());
    assert.equal(await readLedgerEndpoint(dir.path), { url, pid: process.pid });
    await announced(`${process.pid} 1 ${ownPidNamespace}`);
    assert.is(await readLedgerEndpoint(dir.path), undefined, 'an earlier process with this pid wrote it');
    // Written in another pid namespace: nothing here tells, so it stands.
    await announced(`${process.pid} 1 pid:[1]`);
    assert.equal(await readLedgerEndpoint(dir.path), { url, pid: process.pid });
  } finally {
    await dir.cleanup();
  }
});

endpoint('is ignored when the ledger that wrote it is gone or the file is garbage', async () => {
  const dir = await tempDir();
  try {
    // Pids are below 2^22 on Linux, so this one cannot be running.
    await writeLedgerEndpoint(dir.path, { url: 'esdb://127.0.0.1:9?tls=false', pid: 2 ** 30 });
    assert.is(await readLedgerEndpoint(dir.path), undefined);
    await writeFile(join(dir.path, 'ledger.json'), '{not json');
    assert.is(await readLedgerEndpoint(dir.path), undefined);
    const error = await rejects(resolveEventStoreUrl({ data: dir.path }));
    assert.ok(error instanceof CliError);
    assert.is(error.code, 'TALLY_CLI_NO_LEDGER');
  } finally {
    await dir.cleanup();
  }
});

endpoint('is not needed when --eventstore is given', async () => {
  assert.is(await resolveEventStoreUrl({ eventstore: 'esdb://db:2113', data: '/nowhere' }), 'esdb://db:2113');
});

endpoint.run();

const tail = suite('the tail options');

tail('pick one filter, with repeatable prefixes', () => {
  assert.is(tailFilter({}), undefined);
  assert.equal(tailFilter({ streamPrefix: ['build-', 'eval-'] }), { streamPrefixes: ['build-', 'eval-'] });
  assert.equal(tailFilter({ typeRegex: '^Build' }), { typeRegex: '^Build' });
  assert.throws(
    () => tailFilter({ typePrefix: ['Build'], typeRegex: 'x' }),
    (e: unknown) => e instanceof CliError,
  );
});

tail('start at start, end or a position', () => {
  assert.is(tailStart('start'), 'start');
  assert.is(tailStart('end'), 'end');
  assert.is(tailStart('1234'), 1234);
  assert.throws(() => tailStart('-1'), /--from/);
  assert.throws(() => tailStart('yesterday'), /--from/);
});

tail.run();

const categories = suite('stream categories');

categories('are the part of the name before the first dash', () => {
  assert.is(categoryOf('build-abc-def'), 'build');
  assert.is(categoryOf('checkout-demo'), 'checkout');
  assert.is(categoryOf('standalone'), 'standalone');
});

categories.run();

const locks = suite('the ledger directory lock');

locks('is taken over from a crashed process whose pid now runs another, never from a live one', async () => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, 'lock');
    await writeFile(path, `${process.pid} 1 ${ownPidNamespace}\n`);
    const release = lockDirectory(dir.path);
    assert.is((await readFile(path, 'utf8')).trim(), ownerTag());
    assert.throws(
      () => lockDirectory(dir.path),
      (error: unknown) => error instanceof DirectoryLockedError,
    );
    release();
    // A lock of the earlier format (a pid alone) of a live process still holds.
    await writeFile(path, `${process.pid}\n`);
    assert.throws(
      () => lockDirectory(dir.path),
      (error: unknown) => error instanceof DirectoryLockedError,
    );
  } finally {
    await dir.cleanup();
  }
});

locks('of another pid namespace holds while touched, and is taken over once left untouched', async () => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, 'lock');
    // pid 1 of another container: its number means nothing here.
    await writeFile(path, '1 1 pid:[1]\n');
    assert.throws(
      () => lockDirectory(dir.path),
      (error: unknown) =>
        error instanceof DirectoryLockedError && /another pid namespace/.test(error.message),
    );
    const untouched = new Date(Date.now() - staleAfterMs - 1000);
    await utimes(path, untouched, untouched);
    lockDirectory(dir.path)();
  } finally {
    await dir.cleanup();
  }
});

locks('is touched while held, so that another pid namespace sees it is', async () => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, 'lock');
    const release = lockDirectory(dir.path);
    const long = new Date(Date.now() - 10 * staleAfterMs);
    await utimes(path, long, long);
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    assert.ok(Date.now() - (await stat(path)).mtimeMs < 2_000, 'touched within 5 s');
    release();
  } finally {
    await dir.cleanup();
  }
});

locks.run();
