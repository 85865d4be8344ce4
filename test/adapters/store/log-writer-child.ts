/**
 * Child process of the valid-path log tests: imports `count` small paths tagged `tag` into the store
 * at storeDir/stateDir, as fast as it can, so several such children append to one log at once.
 * argv: storeDir stateDir tag count. Prints `done <count>`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileStore } from '../../../adapters/store/file-store.ts';
import { inPieces, sampleNar, writeSampleTree } from './store-fixtures.ts';

const [storeDir, stateDir, tag, count] = process.argv.slice(2) as [string, string, string, string];
const store = await openFileStore({ storeDir, stateDir });
const sources = await mkdtemp(join(tmpdir(), 'tally-log-writer-'));
try {
  for (let index = 0; index < Number(count); index++) {
    const source = join(sources, String(index));
    await writeSampleTree(source, `${tag} ${index}`);
    const sample = await sampleNar(source, `${tag}-${index}`, storeDir);
    await store.importNar(inPieces(sample.nar), sample);
  }
} finally {
  await rm(sources, { recursive: true, force: true });
}
process.stdout.write(`done ${count}\n`);
