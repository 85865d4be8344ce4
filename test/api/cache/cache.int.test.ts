import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decompressZstd } from '../../../adapters/store/zstd.ts';
import {
  narInfoFingerprint,
  parseNarInfo,
  printNarInfo,
  secretKeyFromSeed,
  verifyDetached,
} from '../../../domain/derivation/index.ts';
import { inPieces, sampleNar, writeSampleTree } from '../../adapters/store/store-fixtures.ts';
import { withTimeout } from '../../helpers/uvu.ts';
import { type CacheFixture, startCache } from './cache-fixture.ts';
import { auth, makeUpload, upload } from './upload-fixture.ts';

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function* bodyOf(response: Response): AsyncGenerator<Uint8Array> {
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** A sample tree and its NAR for the cache's store; `tag` makes the content (so the path) unique. */
async function sample(cache: CacheFixture, tag: string, references: string[] = []) {
  const dir = join(cache.fixture.root, `src-${tag}`);
  await writeSampleTree(dir, `${tag}\n${references.join('\n')}`);
  return sampleNar(dir, tag, cache.fixture.storeDir, references);
}

/** Nothing staged, no temporaries, no tree or record beyond the `valid` paths given. */
async function assertNothingLeft(cache: CacheFixture, valid: number, after = ''): Promise<void> {
  assert.equal(await readdir(cache.stagingDir).catch(() => []), [], `staging is empty ${after}`);
  assert.equal(await readdir(join(cache.fixture.stateDir, 'tmp')), [], 'no temporaries');
  let records = 0;
  for await (const _ of cache.fixture.store.list()) records++;
  assert.is(records, valid, 'valid records');
  assert.is((await readdir(cache.fixture.storeDir)).length, valid, 'trees in the store');
}

const cache = suite<{ cache: CacheFixture }>('the binary cache over HTTP');

cache.before.each(async (context) => {
  context.cache = await startCache();
});
cache.after.each(async ({ cache }) => cache.close());

cache(
  'describes itself in nix-cache-info',
  withTimeout(5_000, async ({ cache }) => {
    const response = await fetch(`${cache.url}/nix-cache-info`);
    assert.is(response.status, 200);
    assert.is(await response.text(), `StoreDir: ${cache.fixture.storeDir}\nWantMassQuery: 1\nPriority: 30\n`);
  }),
);

cache(
  'serves a signed narinfo and the zstd NAR it names, which decompresses to the recorded NAR',
  withTimeout(10_000, async ({ cache }) => {
    const item = await sample(cache, 'served');
    await cache.fixture.store.importNar(inPieces(item.nar), item);
    const hashPart = item.path.slice(cache.fixture.storeDir.length + 1, cache.fixture.storeDir.length + 33);
    const response = await fetch(`${cache.url}/${hashPart}.narinfo`);
    assert.is(response.status, 200);
    assert.is(response.headers.get('content-type'), 'text/x-nix-narinfo');
    const info = parseNarInfo(await response.text(), cache.fixture.storeDir);
    assert.is(info.storePath, item.path);
    assert.is(info.compression, 'zstd');
    const fingerprint = narInfoFingerprint(info, cache.fixture.storeDir);
    assert.ok(info.sigs.some((sig) => verifyDetached(fingerprint, sig, [cache.key.publicKey])));
    const head = await fetch(`${cache.url}/${hashPart}.narinfo`, { method: 'HEAD' });
    assert.is(head.status, 200);
    const nar = await fetch(`${cache.url}/${info.url}`);
    assert.is(nar.status, 200);
    assert.is(Number(nar.headers.get('content-length')), info.fileSize);
    assert.ok((await collect(decompressZstd(bodyOf(nar)))).equals(Buffer.from(item.nar)));
    const narHead = await fetch(`${cache.url}/${info.url}`, { method: 'HEAD' });
    assert.is(narHead.status, 200);
    assert.is(Number(narHead.headers.get('content-length')), info.fileSize);
  }),
);

cache(
  'answers misses and names it does not serve with 404 text/plain',
  withTimeout(5_000, async ({ cache }) => {
    for (const path of [
      `${'a'.repeat(32)}.narinfo`,
      `nar/${'a'.repeat(52)}.nar.zst`,
      'nar/..%2F..%2Fetc%2Fpasswd',
      `log/${'a'.repeat(32)}-x.drv`,
      'log/..%2Fsecret',
      'whatever',
    ]) {
      const response = await fetch(`${cache.url}/${path}`);
      assert.is(response.status, 404, path);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    }
  }),
);

cache(
  'serves the latest build log of a derivation',
  withTimeout(5_000, async ({ cache }) => {
    const drv = `${cache.fixture.storeDir}/${'b'.repeat(32)}-hello.drv`;
    await cache.fixture.store.writeLog(drv, 1, inPieces(Buffer.from('attempt 1\n')));
    await cache.fixture.store.writeLog(drv, 2, inPieces(Buffer.from('building hello\ndone\n')));
    const response = await fetch(`${cache.url}/log/${'b'.repeat(32)}-hello.drv`);
    assert.is(response.status, 200);
    assert.is(await response.text(), 'building hello\ndone\n');
  }),
);

cache(
  'accepts an authorised upload of a NAR then its narinfo, and serves the path afterwards',
  withTimeout(10_000, async ({ cache }) => {
    const dep = await sample(cache, 'dep');
    const top = await sample(cache, 'top', [dep.path]);
    for (const item of [dep, top]) {
      const sent = await upload(cache.url, await makeUpload(item, cache.fixture.storeDir));
      assert.is(sent.nar.status, 204);
      assert.is(sent.info.status, 201, JSON.stringify(sent.problem));
    }
    assert.equal((await cache.fixture.store.info(top.path))?.references, [dep.path]);
    const again = await upload(cache.url, await makeUpload(top, cache.fixture.storeDir));
    assert.is(again.info.status, 200);
    await assertNothingLeft(cache, 2);
  }),
);

cache(
  'refuses uploads without authorisation, with the problem authorizeUpload gave',
  withTimeout(5_000, async ({ cache }) => {
    const item = await makeUpload(await sample(cache, 'unauthorised'), cache.fixture.storeDir);
    const response = await fetch(`${cache.url}/nar/${item.narFile}`, {
      method: 'PUT',
      body: item.compressed,
    });
    assert.is(response.status, 401);
    assert.is(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.is(((await response.json()) as { code: string }).code, 'TALLY_AUTH_MISSING_TOKEN');
    await assertNothingLeft(cache, 0);
  }),
);

cache(
  'refuses bad uploads with a TALLY_CACHE code and leaves nothing behind',
  withTimeout(20_000, async ({ cache }) => {
    const storeDir = cache.fixture.storeDir;
    const good = await makeUpload(await sample(cache, 'good'), storeDir);
    const other = await sample(cache, 'other');
    const cases: Array<{
      name: string;
      code: string;
      status: number;
      send: () => ReturnType<typeof upload>;
    }> = [
      {
        name: 'a truncated NAR',
        code: 'TALLY_CACHE_BAD_NAR',
        status: 400,
        send: async () => {
          const real = await sample(cache, 'cut');
          return upload(cache.url, await makeUpload({ ...real, nar: real.nar.subarray(0, 100) }, storeDir));
        },
      },
      {
        name: 'a NAR whose hash is not the narinfo one',
        code: 'TALLY_CACHE_NAR_HASH_MISMATCH',
        status: 400,
        send: async () =>
          upload(
            cache.url,
            good,
            printNarInfo({ ...good.narInfo, narHash: (await makeUpload(other, storeDir)).narInfo.narHash }),
          ),
      },
      {
        name: 'a NAR whose bytes are not the hash its name says',
        code: 'TALLY_CACHE_FILE_HASH_MISMATCH',
        status: 400,
        send: async () => {
          const response = await fetch(`${cache.url}/nar/${good.narFile}`, {
            method: 'PUT',
            headers: auth,
            body: good.compressed.subarray(1),
          });
          return {
            nar: response,
            info: response,
            problem: (await response.json()) as { code: string; detail: string },
          };
        },
      },
      {
        name: 'a store path with ..',
        code: 'TALLY_CACHE_BAD_NARINFO',
        status: 400,
        send: () =>
          upload(
            cache.url,
            good,
            printNarInfo(good.narInfo).replace(
              /StorePath: .*/,
              `StorePath: ${storeDir}/../${good.hashPart}-x`,
            ),
          ),
      },
      {
        name: 'a URL outside nar/',
        code: 'TALLY_CACHE_BAD_NARINFO',
        status: 400,
        // Only the narinfo: a NAR staged before it would wait for the sweep, as it names no staged file.
        send: async () => {
          const text = printNarInfo({ ...good.narInfo, url: `../../${good.narFile}` });
          const info = await fetch(`${cache.url}/${good.hashPart}.narinfo`, {
            method: 'PUT',
            headers: auth,
            body: text,
          });
          return { nar: info, info, problem: (await info.json()) as { code: string; detail: string } };
        },
      },
      {
        name: 'a narinfo for another path than its URL names',
        code: 'TALLY_CACHE_BAD_NARINFO',
        status: 400,
        send: () => upload(cache.url, { ...good, hashPart: 'a'.repeat(32) }),
      },
      {
        name: 'garbage instead of a narinfo',
        code: 'TALLY_CACHE_BAD_NARINFO',
        status: 400,
        send: async () => {
          const garbage = `StorePath: /etc/passwd\nNarHash: x\n${'\0'.repeat(100)}\n`;
          const info = await fetch(`${cache.url}/${good.hashPart}.narinfo`, {
            method: 'PUT',
            headers: auth,
            body: garbage,
          });
          return { nar: info, info, problem: (await info.json()) as { code: string; detail: string } };
        },
      },
      {
        name: 'a NAR compressed with xz',
        code: 'TALLY_CACHE_UNSUPPORTED_COMPRESSION',
        status: 415,
        send: async () => {
          const response = await fetch(`${cache.url}/nar/${good.narFile.replace(/\.zst$/, '.xz')}`, {
            method: 'PUT',
            headers: auth,
            body: good.compressed,
          });
          return {
            nar: response,
            info: response,
            problem: (await response.json()) as { code: string; detail: string },
          };
        },
      },
      {
        name: 'a narinfo under a name the cache never serves',
        code: 'TALLY_CACHE_BAD_REQUEST',
        status: 400,
        send: async () => {
          const info = await fetch(`${cache.url}/abc.narinfo`, {
            method: 'PUT',
            headers: auth,
            body: printNarInfo(good.narInfo),
          });
          return { nar: info, info, problem: (await info.json()) as { code: string; detail: string } };
        },
      },
      {
        name: 'an xz NAR',
        code: 'TALLY_CACHE_UNSUPPORTED_COMPRESSION',
        status: 415,
        send: () => upload(cache.url, good, printNarInfo({ ...good.narInfo, compression: 'xz' })),
      },
      {
        name: 'a reference the store lacks',
        code: 'TALLY_CACHE_MISSING_REFERENCE',
        status: 409,
        send: async () =>
          upload(cache.url, await makeUpload(await sample(cache, 'orphan', [other.path]), storeDir)),
      },
      {
        name: 'a narinfo whose NAR was never uploaded',
        code: 'TALLY_CACHE_NAR_NOT_UPLOADED',
        status: 409,
        send: async () => {
          const info = await fetch(`${cache.url}/${good.hashPart}.narinfo`, {
            method: 'PUT',
            headers: auth,
            body: printNarInfo(good.narInfo),
          });
          return { nar: info, info, problem: (await info.json()) as { code: string; detail: string } };
        },
      },
    ];
    for (const { name, code, status, send } of cases) {
      const sent = await send();
      assert.is(sent.problem?.code, code, name);
      assert.is(sent.info.status, status, name);
      assert.ok(sent.problem?.detail, name);
      await assertNothingLeft(cache, 0, name);
    }
  }),
);

cache(
  'with uploader keys configured, accepts only narinfo signed by one of them',
  withTimeout(10_000, async ({ cache: unused }) => {
    await unused.close();
    const worker = secretKeyFromSeed('worker-1', new Uint8Array(32).fill(9));
    const stranger = secretKeyFromSeed('worker-1', new Uint8Array(32).fill(10));
    const cache = await startCache({ trustedUploadKeys: [worker.publicKey] });
    try {
      const item = await sample(cache, 'signed');
      const unsigned = await upload(cache.url, await makeUpload(item, cache.fixture.storeDir));
      assert.is(unsigned.problem?.code, 'TALLY_CACHE_BAD_SIGNATURE');
      const forged = await upload(cache.url, await makeUpload(item, cache.fixture.storeDir, stranger));
      assert.is(forged.problem?.code, 'TALLY_CACHE_BAD_SIGNATURE');
      await assertNothingLeft(cache, 0);
      const signed = await upload(cache.url, await makeUpload(item, cache.fixture.storeDir, worker));
      assert.is(signed.info.status, 201);
    } finally {
      await cache.close();
      // The suite's after.each closes its own cache again: make that harmless.
      Object.assign(unused, { close: async () => undefined });
    }
  }),
);

cache.run();
