/**
 * A 200 MB NAR through the cache: registered in place and downloaded over HTTP while the process's
 * RSS is sampled. Streaming end to end, the RSS must not grow by anything near the NAR's size.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPath } from '../../../adapters/store/nar-fs.ts';
import { makeSourcePath, parseNarInfo, toNix32 } from '../../../domain/derivation/index.ts';
import { withTimeout } from '../../helpers/uvu.ts';
import { type CacheFixture, startCache } from './cache-fixture.ts';

const size = 200 * 1024 * 1024;
/**
 * Holding the NAR whole would grow the RSS by at least its 200 MB; streaming leaves only buffers,
 * the allocator's and the collector's slack (the client reading it runs in this process too), seen
 * from 20 up to 65 MiB on a busy machine. Half the NAR tells the two apart with room for that noise.
 */
const allowedGrowth = size / 2;

const large = suite<{ cache: CacheFixture }>('a 200 MB NAR through the binary cache');

large.before(async (context) => {
  context.cache = await startCache();
});
large.after(async ({ cache }) => cache?.close());

large(
  'is served as a stream: the RSS grows by less than half the NAR while it is downloaded',
  withTimeout(180_000, async ({ cache }) => {
    const { store, root, storeDir } = cache.fixture;
    const staging = join(root, 'big');
    const handle = await open(staging, 'w');
    for (let written = 0; written < size; written += 1 << 20) await handle.write(randomBytes(1 << 20));
    await handle.close();
    const path = makeSourcePath('big', (await hashPath(staging)).hash, [], storeDir);
    await rename(staging, path);
    const info = await store.addFromDirectory({ path });
    assert.ok(info.narSize > size);

    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    try {
      const hashPart = path.slice(storeDir.length + 1, storeDir.length + 33);
      const narInfo = parseNarInfo(await (await fetch(`${cache.url}/${hashPart}.narinfo`)).text(), storeDir);
      const response = await fetch(`${cache.url}/${narInfo.url}`);
      assert.is(response.status, 200);
      const hasher = createHash('sha256');
      let received = 0;
      const reader = response.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        hasher.update(value);
        received += value.length;
      }
      assert.is(received, narInfo.fileSize);
      assert.is(`sha256:${toNix32(new Uint8Array(hasher.digest()))}`, info.file.fileHash);
    } finally {
      clearInterval(sampler);
    }
    const growth = peak - before;
    console.log(
      `RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB while serving ${(info.file.fileSize / 2 ** 20).toFixed(0)} MiB`,
    );
    assert.ok(growth < allowedGrowth, `RSS grew by ${growth} bytes`);
  }),
);

large.run();
