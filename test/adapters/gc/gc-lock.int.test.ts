/**
 * The collection lock across processes: of several collections starting at once over a lock left by a
 * collection that died, exactly one takes it; the others are refused. With a lock file of an earlier
 * version too. (A lone collection reporting the dead one interrupted is the crash test's.)
 */
import { execFile } from 'node:child_process';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';

const run = promisify(execFile);
const child = new URL('./gc-lock-child.ts', import.meta.url).pathname;
/** A pid no process has: above the kernel's largest. */
const deadPid = 4_194_304 + 1;

const test = suite('the collection lock');

test(
  'of three collections starting at once over a dead one, exactly one runs',
  withTimeout(60_000, async () => {
    for (let round = 0; round < 3; round++) {
      const dir = await tempDir('tally-gc-lock-');
      try {
        // Left by a collection that died: the lock, or the lock file of earlier versions.
        if (round % 2 === 0) {
          await symlink(`${deadPid}:token:dead`, join(dir.path, 'lock'));
          await writeFile(join(dir.path, 'running.json'), JSON.stringify({ gcId: 'dead', pid: deadPid }));
        } else await writeFile(join(dir.path, 'lock.json'), JSON.stringify({ gcId: 'dead', pid: deadPid }));
        // Far enough ahead for all three to have started.
        const at = String(Date.now() + 3000);
        const outputs = await Promise.all(
          [0, 1, 2].map(() => run(process.execPath, ['--import', 'tsx', child, dir.path, at])),
        );
        const said = outputs.map((output) => output.stdout.trim()).sort();
        // Which of them took the dead one's lock over may not be the one that then got it; the one that
        // got it reports the dead one interrupted all the same.
        assert.equal(said, ['acquired dead', 'locked', 'locked'], `round ${round}`);
      } finally {
        await dir.cleanup();
      }
    }
  }),
);

test(
  'reports a collection that died interrupted though another process took its lock over and let go',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-gc-lock-');
    try {
      // What is left when, of processes starting together over a dead collection's lock, one took
      // it over (and removed it) and was then refused by another: no lock, the dead one's record.
      await writeFile(join(dir.path, 'running.json'), JSON.stringify({ gcId: 'dead', pid: deadPid }));
      const first = await run(process.execPath, ['--import', 'tsx', child, dir.path, String(Date.now())]);
      assert.is(first.stdout.trim(), 'acquired dead');
      // It let go properly: the next one finds nothing interrupted.
      const next = await run(process.execPath, ['--import', 'tsx', child, dir.path, String(Date.now())]);
      assert.is(next.stdout.trim(), 'acquired -');
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'leaves a collection that died to the next holder when the one after it dies before recovering it',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-gc-lock-');
    try {
      await writeFile(join(dir.path, 'running.json'), JSON.stringify({ gcId: 'dead', pid: deadPid }));
      const now = () => String(Date.now());
      const dying = await run(process.execPath, ['--import', 'tsx', child, dir.path, now(), 'dies']);
      assert.is(dying.stdout.trim(), 'acquired dead');
      // It died holding the lock, the dead collection not yet recovered: the next one still finds it.
      const next = await run(process.execPath, ['--import', 'tsx', child, dir.path, now()]);
      assert.is(next.stdout.trim(), 'acquired dead');
    } finally {
      await dir.cleanup();
    }
  }),
);

test.run();
