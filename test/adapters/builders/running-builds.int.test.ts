import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { killLeftBuilds } from '../../../adapters/builders/left-builds.ts';
import { createNativeBuilder } from '../../../adapters/builders/native/native-builder.ts';
import { createRunningBuilds } from '../../../adapters/builders/running-builds.ts';
import { processStart } from '../../../adapters/processes/process-start.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { generousLimits, shDrv } from './derivations.ts';
import { sleepers, uniqueSleep, until } from './processes.ts';

interface Context {
  root: string;
  records: string;
  cleanup: () => Promise<void>;
}

const silent = pino({ level: 'silent' });

const test = suite<Context>('the record of running builds');

test.before.each(async (context) => {
  const dir = await tempDir('tally-running-builds-');
  context.root = dir.path;
  context.records = join(dir.path, 'running-builds');
  context.cleanup = dir.cleanup;
});
test.after.each(async (context) => context.cleanup());

test(
  "holds a build's process group while it runs, and forgets it once the build has ended",
  withTimeout(20_000, async ({ root, records }) => {
    const store = join(root, 'store');
    const builder = createNativeBuilder({
      isolation: 'none',
      runningBuilds: createRunningBuilds(records, silent),
    });
    const duration = uniqueSleep();
    const drv = shDrv(store, {
      name: 'recorded',
      script: `/bin/sleep ${duration} & while [ ! -e done ]; do /bin/sleep 0.05; done; echo > $out`,
    });
    // Aborted when an assertion fails, so that no build is left running.
    const controller = new AbortController();
    const building = builder.build({
      drvPath: drv.drvPath,
      drv: drv.drv,
      storeDir: store,
      limits: generousLimits,
      signal: controller.signal,
    });
    try {
      await until(() => sleepers(duration).length === 1, 10_000, 'the build to start');
      const recorded = () =>
        (existsSync(records) ? readdirSync(records) : []).filter((file) => file.endsWith('.json'));
      await until(() => recorded().length === 1, 10_000, 'its record');
      const [name] = recorded();
      const record = JSON.parse(readFileSync(join(records, name ?? ''), 'utf8'));
      assert.is(record.drvPath, drv.drvPath);
      assert.is(`${record.pid}.json`, name);
      assert.is(record.started, processStart(record.pid), "the leader's start, to tell it from a later pid");
      const top = readFileSync(`/proc/${record.pid}/environ`, 'utf8')
        .split('\0')
        .find((line) => line.startsWith('NIX_BUILD_TOP='))
        ?.slice('NIX_BUILD_TOP='.length);
      writeFileSync(join(top ?? '', 'done'), '');
      assert.ok((await building).ok);
    } finally {
      controller.abort();
      await building;
    }
    assert.equal(readdirSync(records), [], 'no record is left');
  }),
);

test(
  'a start removes records that cannot be read, and those of builds that ended',
  withTimeout(20_000, async ({ records }) => {
    await mkdir(records);
    writeFileSync(join(records, '12345.json'), '{"pid": 12');
    // A pid past Linux's largest (4194304) never runs.
    const ended = {
      pid: 5_000_000,
      started: '1',
      server: `${process.pid} 0`,
      drvPath: '/nix/store/ended.drv',
    };
    writeFileSync(join(records, '5000000.json'), JSON.stringify(ended));
    await killLeftBuilds(records, silent);
    assert.equal(readdirSync(records), []);
  }),
);

test.run();
