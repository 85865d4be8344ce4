/**
 * A collection that cannot delete a file of the store (here one made immutable with `chattr +i`,
 * which refuses even root with EPERM) fails with TALLY_GC_IO_ERROR naming the file and what to do,
 * records its end as `io-error`, and the next collection, once the cause is mended, finishes the job.
 */
import { execFileSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GcIoError } from '../../../adapters/gc/gc-dir.ts';
import { staticRootSource } from '../../../adapters/gc/root-source.ts';
import { withTimeout } from '../../helpers/uvu.ts';
import { createGcFixture, type GcFixture } from './gc-fixture.ts';

const test = suite<{ f: GcFixture; pinned?: string }>('a collection that cannot delete a file');
test.after.each(async ({ f, pinned }) => {
  if (pinned) execFileSync('chattr', ['-i', pinned]);
  await f?.cleanup();
});

test(
  'fails with a code naming the file, records io-error, and the next collection finishes the job',
  withTimeout(20_000, async (context) => {
    const f = await createGcFixture([{}, {}]);
    context.f = f;
    const stuck = f.paths[1]!;
    // chattr needs a file system with attributes (ext4 here and in CI) and root, which CI runs as:
    // without them the failure this test is about cannot be made, and the test says so by failing.
    execFileSync('chattr', ['+i', stuck]);
    context.pinned = stuck;

    const failure = await f.gc({}, { gcId: 'stuck', roots: staticRootSource([]) }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.instance(failure, GcIoError);
    const error = failure as GcIoError;
    assert.is(error.code, 'TALLY_GC_IO_ERROR');
    assert.match(error.message, stuck);
    assert.match(error.message, /EPERM/);
    assert.match(error.message, /run `tally gc` again/);
    const events = await f.stream('stuck');
    assert.is(events.at(-1)?.type, 'GcFailed');
    assert.is(events.at(-1)?.data.reason, 'io-error');

    execFileSync('chattr', ['-i', stuck]);
    context.pinned = undefined;
    await f.gc({}, { gcId: 'after', roots: staticRootSource([]) });
    assert.equal(await f.storeEntries(), []);
    assert.is((await f.stream('after')).at(-1)?.type, 'GcFinished');
  }),
);

test.run();
