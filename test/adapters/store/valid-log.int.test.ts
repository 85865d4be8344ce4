import { execFile, spawn } from 'node:child_process';
import { appendFile, link, lstat, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openFileStore } from '../../../adapters/store/file-store.ts';
import type { Store, ValidPathInfo } from '../../../adapters/store/store.ts';
import { withStoreLock } from '../../../adapters/store/store-lock.ts';
import { encodeAdd, logHeaderLength, parseEntry } from '../../../adapters/store/valid-log-format.ts';
import { verifyStore } from '../../../adapters/store/verify.ts';
import { rejects, withTimeout } from '../../helpers/uvu.ts';
import {
  createStoreFixture,
  inPieces,
  type StoreFixture,
  sampleNar,
  writeSampleTree,
} from './store-fixtures.ts';

const run = promisify(execFile);
const writerChild = new URL('./log-writer-child.ts', import.meta.url).pathname;

const test = suite<{ f?: StoreFixture }>('the valid-path log');
test.after.each(async (context) => context.f?.cleanup());

async function importTagged(f: StoreFixture, tag: string, store: Store = f.store): Promise<ValidPathInfo> {
  const source = join(f.root, `src-${tag}`);
  await writeSampleTree(source, tag);
  const sample = await sampleNar(source, tag, f.storeDir);
  return store.importNar(inPieces(sample.nar), sample);
}

/** Every entry of the log file, checking that it parses to its very end. */
async function entriesOnDisk(stateDir: string) {
  const bytes = await readFile(join(stateDir, 'valid.log'));
  const entries = [];
  for (let at = logHeaderLength; at < bytes.length; ) {
    const parsed = parseEntry(bytes, at, 0);
    assert.is(parsed.status, 'entry', `the log parses at byte ${at}`);
    if (parsed.status !== 'entry') break;
    if (parsed.entry.kind === 'add') entries.push(parsed.entry);
    at = parsed.entry.end;
  }
  return entries;
}

/** The store's directories copied to a new place: opened there, its log is read afresh. */
async function copyOf(f: StoreFixture, name: string) {
  const root = join(f.root, name);
  await mkdir(root);
  await run('cp', ['-a', join(f.root, 'nix'), join(f.root, 'state'), `${root}/`]);
  return { storeDir: join(root, 'nix', 'store'), stateDir: join(root, 'state') };
}

test(
  'ignores an entry a crash cut short, and the next writer cuts it off before appending',
  withTimeout(30_000, async (context) => {
    const f = await createStoreFixture('tally-log-');
    context.f = f;
    const a = await importTagged(f, 'a');
    const torn = encodeAdd(`${'1'.repeat(32)}-torn`, '2'.repeat(52), '{"path":"x"}', new Uint8Array(500));
    await appendFile(join(f.stateDir, 'valid.log'), torn.subarray(0, torn.length - 100));
    const copy = await copyOf(f, 'copy');
    const reopened = await openFileStore(copy);
    assert.ok(
      await reopened.has(a.path.replace(f.storeDir, copy.storeDir)),
      'a fresh reader stops before it',
    );
    assert.ok(await f.store.has(a.path), 'the path before the cut entry is valid');
    const b = await importTagged(f, 'b');
    assert.equal(
      (await entriesOnDisk(f.stateDir)).map((entry) => entry.baseName),
      [a, b].map((info) => info.path.slice(f.storeDir.length + 1)),
      'the cut entry is gone and the log parses to its end',
    );
    assert.equal((await verifyStore(f.store)).problems, []);
  }),
);

test(
  'refuses a log damaged before its end, naming the byte, and changes nothing',
  withTimeout(30_000, async (context) => {
    const f = await createStoreFixture('tally-log-');
    context.f = f;
    await importTagged(f, 'a');
    await importTagged(f, 'b');
    const [first] = await entriesOnDisk(f.stateDir);
    const copy = await copyOf(f, 'damaged');
    const file = join(copy.stateDir, 'valid.log');
    const bytes = await readFile(file);
    bytes[first!.jsonOffset + 3]! ^= 0x01;
    await writeFile(file, bytes);
    const error = await rejects(openFileStore(copy));
    assert.is((error as { code?: string }).code, 'TALLY_STORE_DAMAGED_LOG');
    assert.match((error as Error).message, `byte ${first!.offset}`);
    assert.ok((await readFile(file)).equals(bytes), 'the damaged log is left as it was');
  }),
);

test(
  'takes over the lock of a process that died, and waits for a live holder with a clear error',
  withTimeout(30_000, async (context) => {
    const f = await createStoreFixture('tally-log-');
    context.f = f;
    const lock = join(f.stateDir, 'valid.lock');
    // A pid above the kernel's largest is never alive.
    await symlink('4194305:deadbeef', lock);
    await importTagged(f, 'a');
    assert.is(await lstat(lock).catch(() => undefined), undefined, 'the lock is released');

    await symlink(`${process.ppid}:0123456789ab`, lock);
    const started = Date.now();
    const error = await rejects(withStoreLock(lock, async () => 'never', 300));
    assert.is((error as { code?: string }).code, 'TALLY_STORE_LOCKED');
    assert.match((error as Error).message, `process ${process.ppid}`);
    assert.ok(Date.now() - started >= 300, 'it waited');
    await rm(lock);
    assert.is(await withStoreLock(lock, async () => 'mine', 300), 'mine');
  }),
);

test(
  'keeps every path of several processes appending at once, and the log parses to its end',
  withTimeout(120_000, async (context) => {
    const f = await createStoreFixture('tally-log-');
    context.f = f;
    const children = ['p', 'q', 'r'].map(
      (tag) =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', writerChild, f.storeDir, f.stateDir, tag, '25'],
            { stdio: ['ignore', 'pipe', 'inherit'] },
          );
          let out = '';
          child.stdout.on('data', (chunk) => {
            out += chunk;
          });
          child.on('error', reject);
          child.on('close', (code) =>
            code === 0 ? resolve(out) : reject(new Error(`writer ${tag}: ${code}`)),
          );
        }),
    );
    const own = [];
    for (let index = 0; index < 10; index++) own.push(await importTagged(f, `own-${index}`));
    assert.equal(await Promise.all(children), ['done 25\n', 'done 25\n', 'done 25\n']);
    const entries = await entriesOnDisk(f.stateDir);
    assert.is(entries.length, 85, 'one entry per path');
    assert.is(new Set(entries.map((entry) => entry.hashPart)).size, 85);
    const verified = await verifyStore(f.store);
    assert.equal(verified.problems, []);
    assert.is(verified.checked, 85, 'this process sees what the others appended');
  }),
);

test(
  'moves a store of the earlier layout (a record file and a NAR link per path) into the log',
  withTimeout(30_000, async (context) => {
    const f = await createStoreFixture('tally-log-');
    context.f = f;
    const infos = [await importTagged(f, 'a'), await importTagged(f, 'b')];
    const old = await copyOf(f, 'old');
    await rm(join(old.stateDir, 'valid.log'));
    for (const dir of ['valid', 'nar-of']) await mkdir(join(old.stateDir, dir));
    for (const info of infos) {
      const moved = { ...info, path: info.path.replace(f.storeDir, old.storeDir), references: [] };
      const hashPart = moved.path.slice(old.storeDir.length + 1, old.storeDir.length + 33);
      const nar = join(old.stateDir, 'nar', `${info.file.fileHash.slice('sha256:'.length)}.nar.zst`);
      const { stream } = await f.store.narStream(info.path, { compressed: true });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      await writeFile(nar, Buffer.concat(chunks));
      await link(nar, join(old.stateDir, 'nar-of', `${hashPart}.nar.zst`));
      await writeFile(join(old.stateDir, 'valid', `${hashPart}.json`), `${JSON.stringify(moved)}\n`);
    }
    const store = await openFileStore(old);
    for (const info of infos) assert.ok(await store.has(info.path.replace(f.storeDir, old.storeDir)));
    const verified = await verifyStore(store);
    assert.equal(verified.problems, []);
    assert.is(verified.checked, 2);
    assert.is(await stat(join(old.stateDir, 'valid')).catch(() => undefined), undefined, 'records moved');
    assert.is(await stat(join(old.stateDir, 'nar-of')).catch(() => undefined), undefined, 'links gone');
    assert.is((await entriesOnDisk(old.stateDir)).length, 2);
    await openFileStore(old);
    assert.is((await entriesOnDisk(old.stateDir)).length, 2, 'a second open adds nothing');
  }),
);

test.run();
