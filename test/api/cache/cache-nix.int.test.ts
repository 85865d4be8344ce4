/**
 * The binary cache against the real Nix client (2.8): substitution and `nix copy` into fresh local
 * stores (`local?store=…&real=…`, so /nix/store's database is never touched), a wrong key refused,
 * and `nix copy --to` uploading through Tally's upload protocol. The Tally store uses a store
 * directory under the test's temporary directory; Nix is told it with `?store=` on the cache URL.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPath } from '../../../adapters/store/nar-fs.ts';
import { printNarHash, printPublicKey, secretKeyFromSeed } from '../../../domain/derivation/index.ts';
import { inPieces, type SampleNar, sampleNar, writeSampleTree } from '../../adapters/store/store-fixtures.ts';
import { nixEnv, nixTest, reportSkipped } from '../../domain/derivation/nix.ts';
import { withTimeout } from '../../helpers/uvu.ts';
import { type CacheFixture, startCache, uploadToken } from './cache-fixture.ts';

const run = promisify(execFile);

/** Runs nix without blocking the event loop (the server under test is in this process). */
async function nix(
  command: string,
  args: string[],
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(command, args, {
      env: nixEnv,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    return { ok: true, stdout, stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

interface Context {
  cache: CacheFixture;
  dep: SampleNar;
  top: SampleNar;
  big: SampleNar;
  clients: number;
}

/** A fresh, empty local Nix store with the cache's store directory. */
function freshStore(context: Context): { url: string; real: string } {
  const root = join(context.cache.fixture.root, `client-${context.clients++}`);
  const real = join(root, 'store');
  const url = `local?store=${context.cache.fixture.storeDir}&real=${real}&state=${root}/state&log=${root}/log`;
  return { url, real };
}

const cacheUrl = (context: Context) => `${context.cache.url}?store=${context.cache.fixture.storeDir}`;

const nixCache = suite<Context>('the binary cache with the real nix');

nixCache.before(async (context) => {
  context.cache = await startCache();
  context.clients = 0;
  const { root, storeDir } = context.cache.fixture;
  await writeSampleTree(join(root, 'src-dep'), 'dep');
  context.dep = await sampleNar(join(root, 'src-dep'), 'dep', storeDir);
  await writeSampleTree(join(root, 'src-top'), `refers to ${context.dep.path}`);
  context.top = await sampleNar(join(root, 'src-top'), 'top', storeDir, [context.dep.path]);
  // Past 4 MiB, so the compressed NAR is several zstd frames.
  await writeFile(join(root, 'src-big'), Buffer.concat([randomBytes(6 << 20), Buffer.alloc(6 << 20, 'x')]));
  context.big = await sampleNar(join(root, 'src-big'), 'big', storeDir);
  for (const item of [context.dep, context.top, context.big]) {
    await context.cache.fixture.store.importNar(inPieces(item.nar, 1 << 16), item);
  }
});

nixCache.after(async (context) => context.cache?.close());

nixTest(
  nixCache,
  'nix copy --from the cache fetches a closure, checks its signatures and gets the same NAR hashes',
  withTimeout(60_000, async (context) => {
    const client = freshStore(context);
    const { top, dep, big } = context;
    const copied = await nix('nix', [
      'copy',
      '--from',
      cacheUrl(context),
      '--to',
      client.url,
      top.path,
      big.path,
      '--option',
      'trusted-public-keys',
      context.cache.publicKey,
    ]);
    assert.ok(copied.ok, copied.stderr);
    const infos = JSON.parse(
      (await nix('nix', ['path-info', '--store', client.url, '--json', '-r', top.path, big.path])).stdout,
    ) as Array<{ path: string; narHash: string; references: string[]; signatures: string[] }>;
    assert.equal(infos.map((info) => info.path).sort(), [big.path, dep.path, top.path].sort());
    for (const item of [top, dep, big]) {
      const real = join(client.real, item.path.slice(context.cache.fixture.storeDir.length + 1));
      assert.is(printNarHash((await hashPath(real)).hash), item.narHash, item.path);
    }
    assert.equal(infos.find((info) => info.path === top.path)?.references, [dep.path]);
  }),
);

nixTest(
  nixCache,
  'nix-store -r substitutes from the cache with the right key, and refuses with a wrong one',
  withTimeout(60_000, async (context) => {
    const good = freshStore(context);
    const substituted = await nix('nix-store', [
      '--store',
      good.url,
      '-r',
      context.top.path,
      '--option',
      'substituters',
      cacheUrl(context),
      '--option',
      'trusted-public-keys',
      context.cache.publicKey,
    ]);
    assert.ok(substituted.ok, substituted.stderr);
    assert.is(substituted.stdout.trim(), context.top.path);
    const wrongKey = printPublicKey(
      secretKeyFromSeed(context.cache.key.name, new Uint8Array(32).fill(1)).publicKey,
    );
    const bad = freshStore(context);
    const refused = await nix('nix-store', [
      '--store',
      bad.url,
      '-r',
      context.top.path,
      '--option',
      'substituters',
      cacheUrl(context),
      '--option',
      'trusted-public-keys',
      wrongKey,
    ]);
    assert.not.ok(refused.ok, 'nix-store -r must fail with a wrong key');
    const valid = await nix('nix-store', ['--store', bad.url, '--check-validity', context.top.path]);
    assert.not.ok(valid.ok, 'the path must not be valid in the client store');
  }),
);

nixTest(
  nixCache,
  'nix copy --to the cache uploads a path, which Tally verifies, registers and serves back',
  withTimeout(60_000, async (context) => {
    const source = freshStore(context);
    const file = join(context.cache.fixture.root, 'uploaded.txt');
    await writeFile(file, `uploaded by nix copy ${Date.now()}\n`);
    const added = await nix('nix-store', ['--store', source.url, '--add', file]);
    assert.ok(added.ok, added.stderr);
    const path = added.stdout.trim();
    const netrc = join(context.cache.fixture.root, 'netrc');
    await writeFile(netrc, `machine 127.0.0.1 login tally password ${uploadToken}\n`);
    const uploaded = await nix('nix', [
      'copy',
      '--from',
      source.url,
      '--to',
      `${cacheUrl(context)}&compression=zstd`,
      path,
      '--option',
      'netrc-file',
      netrc,
    ]);
    assert.ok(uploaded.ok, uploaded.stderr);
    const info = await context.cache.fixture.store.info(path);
    assert.ok(info, 'the uploaded path is valid in Tally');
    assert.is(info.narHash, printNarHash((await hashPath(file)).hash));
    const back = freshStore(context);
    const fetched = await nix('nix', [
      'copy',
      '--from',
      cacheUrl(context),
      '--to',
      back.url,
      path,
      '--option',
      'trusted-public-keys',
      context.cache.publicKey,
    ]);
    assert.ok(fetched.ok, fetched.stderr);

    // Another path of the same content: Nix finds its NAR in the cache (HEAD) and sends only the narinfo.
    const twin = join(context.cache.fixture.root, 'twin.txt');
    await writeFile(twin, await readFile(file));
    const twinAdded = await nix('nix-store', ['--store', source.url, '--add', twin]);
    assert.ok(twinAdded.ok, twinAdded.stderr);
    const twinPath = twinAdded.stdout.trim();
    const twinUploaded = await nix('nix', [
      'copy',
      '--from',
      source.url,
      '--to',
      `${cacheUrl(context)}&compression=zstd`,
      twinPath,
      '--option',
      'netrc-file',
      netrc,
    ]);
    assert.ok(twinUploaded.ok, twinUploaded.stderr);
    assert.is((await context.cache.fixture.store.info(twinPath))?.narHash, info.narHash);
  }),
);

nixCache.run();
reportSkipped();
