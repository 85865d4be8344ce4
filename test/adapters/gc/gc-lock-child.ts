/**
 * Takes the collection lock of the directory argv[2] as collection `child-<pid>` once the moment given
 * in argv[3] (epoch ms) has come, prints `acquired <the interrupted collection's id>` or `locked`, and
 * holds the lock two seconds, or with argv[4] `dies` exits holding it: for the lock tests.
 */
import { acquireGcDir, GcLockedError } from '../../../adapters/gc/gc-dir.ts';

const [dir, at, mode] = process.argv.slice(2);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(at) - Date.now())));
try {
  const acquired = await acquireGcDir(dir!, `child-${process.pid}`);
  process.stdout.write(`acquired ${acquired.interrupted?.gcId ?? '-'}\n`);
  // `dies`: the process dies holding the lock before it has recovered the interrupted collection.
  if (mode === 'dies') process.exit(0);
  await acquired.recordRunning();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await acquired.release();
} catch (error) {
  if (!(error instanceof GcLockedError)) throw error;
  process.stdout.write('locked\n');
}
