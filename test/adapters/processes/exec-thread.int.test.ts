import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileOffThread } from '../../../adapters/processes/exec-thread.ts';
import { withTimeout } from '../../helpers/uvu.ts';

const test = suite('execFileOffThread');

test(
  'answers with what the command printed, and how it failed',
  withTimeout(20_000, async () => {
    assert.equal(await execFileOffThread('sh', ['-c', 'printf out; printf err >&2']), {
      stdout: 'out',
      stderr: 'err',
    });
    const failed = await execFileOffThread('sh', ['-c', 'echo nope >&2; exit 3']);
    assert.is(failed.error?.code, 3);
    assert.is(failed.error?.killed, false);
    assert.is(failed.stderr, 'nope\n');
    const missing = await execFileOffThread('/nonexistent/command', []);
    assert.is(missing.error?.code, 'ENOENT');
    const env = await execFileOffThread('sh', ['-c', 'printf "$GREETING" && pwd'], {
      env: { ...process.env, GREETING: 'hello ' },
      cwd: '/tmp',
    });
    assert.is(env.stdout, 'hello /tmp\n');
  }),
);

test(
  "passes this thread's environment as it is now, not as it was when the thread started",
  withTimeout(20_000, async () => {
    await execFileOffThread('true', []);
    process.env.TALLY_EXEC_THREAD_TEST = 'set later';
    try {
      const { stdout } = await execFileOffThread('sh', ['-c', 'printf "$TALLY_EXEC_THREAD_TEST"']);
      assert.is(stdout, 'set later');
    } finally {
      delete process.env.TALLY_EXEC_THREAD_TEST;
    }
  }),
);

test(
  'kills a command at its timeout',
  withTimeout(20_000, async () => {
    const slow = await execFileOffThread('sleep', ['10'], { timeout: 200, killSignal: 'SIGKILL' });
    assert.ok(slow.error?.killed, 'killed');
    assert.is(slow.error?.signal, 'SIGKILL');
  }),
);

test(
  'gives each of many concurrent commands its own answer',
  withTimeout(60_000, async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, index) => execFileOffThread('sh', ['-c', `printf ${index}`])),
    );
    assert.equal(
      answers.map((answer) => answer.stdout),
      answers.map((_, index) => String(index)),
    );
  }),
);

test(
  'does not keep a process alive once its commands are done',
  withTimeout(30_000, async () => {
    const child = new URL('./exec-once-child.ts', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child], {
      timeout: 20_000,
    });
    assert.is(stdout, 'done\n', 'the process ended by itself with the answer');
  }),
);

test.run();
