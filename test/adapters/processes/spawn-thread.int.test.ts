import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnOffThread, type ThreadChild } from '../../../adapters/processes/spawn-thread.ts';
import { withTimeout } from '../../helpers/uvu.ts';

const test = suite('spawnOffThread');

/** Everything the child printed on each stream, and how it closed. */
async function finished(child: ThreadChild) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  // Not events.once: it rejects on the 'error' event a child that cannot start emits before closing.
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.on('close', (closeCode: number | null, closeSignal: string | null) =>
      resolve([closeCode, closeSignal]),
    ),
  );
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code, signal };
}

test(
  'relays both streams, every byte, and the exit code',
  withTimeout(20_000, async () => {
    const child = spawnOffThread(
      'sh',
      ['-c', 'head -c 300000 /dev/zero | tr "\\0" a; echo oops >&2; exit 4'],
      {
        detached: true,
      },
    );
    const result = await finished(child);
    assert.is(result.stdout.length, 300_000);
    assert.ok(/^a+$/.test(result.stdout));
    assert.is(result.stderr, 'oops\n');
    assert.is(result.code, 4);
    assert.type(child.pid, 'number');
  }),
);

test(
  'sends a kill asked for before the child started as soon as it has, to its whole group',
  withTimeout(20_000, async () => {
    const child = spawnOffThread('sh', ['-c', 'sleep 30 & sleep 30; wait'], { detached: true });
    child.killGroup('SIGKILL');
    const result = await finished(child);
    assert.is(result.signal, 'SIGKILL');
  }),
);

test(
  'reports a command that cannot start, then closes',
  withTimeout(20_000, async () => {
    const child = spawnOffThread('/nonexistent/builder', [], { detached: true });
    const errors: Error[] = [];
    child.on('error', (error: Error) => errors.push(error));
    await finished(child);
    assert.is(errors.length, 1);
    assert.match(errors[0]!.message, 'ENOENT');
    assert.is(child.pid, undefined);
  }),
);

test(
  'closes once its pipes are destroyed, though a grandchild outside its group holds them open',
  withTimeout(20_000, async () => {
    const child = spawnOffThread('sh', ['-c', 'setsid sleep 5 & echo started'], { detached: true });
    await once(child, 'exit');
    child.destroyStdio();
    const started = Date.now();
    await once(child, 'close');
    assert.ok(Date.now() - started < 4000, 'closed without waiting for the grandchild');
  }),
);

test.run();
