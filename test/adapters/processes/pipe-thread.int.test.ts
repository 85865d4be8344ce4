import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pipeOffThread } from '../../../adapters/processes/pipe-thread.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';

const test = suite('pipeOffThread');

test(
  "feeds the first command's output to the second and reports both exit codes",
  withTimeout(20_000, async () => {
    const dir = await tempDir('tally-pipe-');
    try {
      const result = await pipeOffThread(
        { file: 'sh', args: ['-c', 'printf "a\\nb\\nc\\n"; echo note >&2'] },
        { file: 'sh', args: ['-c', 'wc -l > counted; exit 7'], cwd: dir.path },
        10_000,
      );
      assert.equal(result.codes, [0, 7]);
      assert.is(result.stderr, 'note\n');
      assert.is(result.timedOut, false);
      const counted = await pipeOffThread(
        { file: 'cat', args: ['counted'], cwd: dir.path },
        { file: 'sh', args: ['-c', 'read n; test "$n" = 3'] },
        10_000,
      );
      assert.equal(counted.codes, [0, 0], 'the second command read all three lines');
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'kills both at the time limit, and says which command could not start',
  withTimeout(20_000, async () => {
    const slow = await pipeOffThread({ file: 'sleep', args: ['20'] }, { file: 'cat', args: [] }, 300);
    assert.ok(slow.timedOut);
    assert.is(slow.codes[0], 'SIGKILL');
    const missing = await pipeOffThread(
      { file: 'true', args: [] },
      { file: '/nonexistent/tar', args: [] },
      5000,
    );
    assert.match(missing.error ?? '', /\/nonexistent\/tar could not run: .*ENOENT/);
  }),
);

test.run();
