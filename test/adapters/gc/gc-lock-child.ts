/**
 * Takes the collection lock of the directory argv[2] as collection `child-<pid>` once the moment given
 * in argv[3] (epoch ms) has come, prints `acquired <the interrupted collection's id>` or `locked`, and
 * holds the lock two seconds: for the lock race test.
 */
import { acquireGcDir, GcLockedError } from '../../../adapters/gc/gc-dir.ts';

const [dir, at] = process.argv.slice(2);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(at) - Date.now())));
try {
  const acquired = await acquireGcDir(dir!, `child-${process.pid}`);
  process.stdout.write(`acquired ${acquired.interrupted?.gcId ?? '-'}\n`);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await acquired.release();
} catch (error) {
  if (!(error instanceof GcLockedError)) throw error;
  process.stdout.write('locked\n');
}
