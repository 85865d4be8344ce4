/**
 * Child process of the crash test: imports the NAR in argv[4] as the path argv[5] (hash argv[6],
 * size argv[7]) into the store at argv[2] (store dir) and argv[3] (state dir), announcing each
 * 64 KiB chunk on stdout before handing it over, so the parent can kill it at a chosen point.
 */
import { createReadStream, writeSync } from 'node:fs';
import { openFileStore } from '../../../adapters/store/file-store.ts';

const [storeDir, stateDir, narFile, path, narHash, narSize] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];

async function* announced(): AsyncGenerator<Uint8Array> {
  let index = 0;
  for await (const chunk of createReadStream(narFile, { highWaterMark: 64 * 1024 })) {
    writeSync(1, `chunk ${index++}\n`);
    yield chunk as Buffer;
  }
}

const store = await openFileStore({ storeDir, stateDir });
await store.importNar(announced(), { path, narHash, narSize: Number(narSize) });
writeSync(1, 'done\n');
