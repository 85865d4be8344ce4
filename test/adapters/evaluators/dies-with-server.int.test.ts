/**
 * An evaluator dies with the process that started it, even one killed with SIGKILL, where no pid
 * namespace (bwrap) takes it along: a jobs program left running would go on for an evaluation the
 * next start runs again.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../../helpers/uvu.ts';
import { sleepers, uniqueSleep, until } from '../builders/processes.ts';

const test = suite('an evaluator of a server killed outright');
const starter = fileURLToPath(new URL('./run-child-then-die.ts', import.meta.url));

test(
  'is gone soon after the server is killed with SIGKILL',
  withTimeout(20_000, async () => {
    const duration = uniqueSleep();
    const server = spawn(process.execPath, ['--import', 'tsx', starter, duration], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let output = '';
      server.stdout.setEncoding('utf8').on('data', (text: string) => {
        output += text;
      });
      await until(
        () => output.includes('started') && sleepers(duration).length === 1,
        10_000,
        'the evaluator to start',
      );
      server.kill('SIGKILL');
      await once(server, 'exit');
      await until(() => sleepers(duration).length === 0, 5_000, 'the evaluator to die with its server');
      assert.equal(sleepers(duration), []);
    } finally {
      server.kill('SIGKILL');
      for (const pid of sleepers(duration)) process.kill(pid, 'SIGKILL');
    }
  }),
);

test.run();
