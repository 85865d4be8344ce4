import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type GcEvent, gcDecider } from '../../../domain/gc/index.ts';
import { givenFor } from '../given.ts';

const given = givenFor(gcDecider);
const base = { gcId: 'g1', at: '2024-05-01T03:00:00Z', actor: 'gc' } as const;
const policy = { keepEvaluations: 3, gracePeriodSeconds: 3600, maxFreedBytes: 900, dryRun: false };
const started: GcEvent = { type: 'GcStarted', data: { gcId: 'g1', policy, startedAt: base.at } };
const paths = [
  { path: '/nix/store/a-x', bytes: 300 },
  { path: '/nix/store/b-y', bytes: 200 },
];
const chunk0: GcEvent = { type: 'GcPathsCollected', data: { gcId: 'g1', chunk: 0, paths } };

const gc = suite('a garbage collection');

gc('starts once and collects chunks in order', () => {
  given([])
    .when({ ...base, type: 'StartGc', policy })
    .then([started]);
  given([started])
    .when({ ...base, type: 'StartGc', policy })
    .thenThrows('TALLY_GC_ALREADY_EXISTS');
  given([started])
    .when({ ...base, type: 'CollectGcPaths', chunk: 0, paths })
    .then([chunk0]);
  given([started, chunk0])
    .when({ ...base, type: 'CollectGcPaths', chunk: 0, paths })
    .thenThrows('TALLY_GC_CHUNK_OUT_OF_ORDER');
  given([])
    .when({ ...base, type: 'CollectGcPaths', chunk: 0, paths })
    .thenThrows('TALLY_GC_NOT_STARTED');
});

gc('refuses a chunk too large for one event, and a path named twice', () => {
  const unlimited = {
    ...started,
    data: { ...started.data, policy: { ...policy, maxFreedBytes: undefined } },
  } as GcEvent;
  const many = Array.from({ length: 20_000 }, (_, i) => ({
    path: `/nix/store/${String(i).padStart(32, '0')}-package-${i}`,
    bytes: 1,
  }));
  given([unlimited])
    .when({ ...base, type: 'CollectGcPaths', chunk: 0, paths: many })
    .thenThrows('TALLY_GC_CHUNK_TOO_LARGE');
  given([unlimited])
    .when({ ...base, type: 'CollectGcPaths', chunk: 0, paths: many.slice(0, 5000) })
    .then([{ type: 'GcPathsCollected', data: { gcId: 'g1', chunk: 0, paths: many.slice(0, 5000) } }]);
  given([started])
    .when({ ...base, type: 'CollectGcPaths', chunk: 0, paths: [paths[0]!, paths[0]!] })
    .thenThrows('TALLY_GC_PATH_REPEATED');
});

gc('never frees more than the policy allows', () => {
  given([started, chunk0])
    .when({ ...base, type: 'CollectGcPaths', chunk: 1, paths })
    .thenThrows('TALLY_GC_LIMIT_EXCEEDED');
  given([started, chunk0])
    .when({ ...base, type: 'CollectGcPaths', chunk: 1, paths: paths.slice(0, 1) })
    .then([{ type: 'GcPathsCollected', data: { gcId: 'g1', chunk: 1, paths: paths.slice(0, 1) } }]);
});

gc('finishes with the totals of its chunks, and ends once', () => {
  const finished: GcEvent = { type: 'GcFinished', data: { gcId: 'g1', freedBytes: 500, pathCount: 2 } };
  given([started, chunk0])
    .when({ ...base, type: 'FinishGc' })
    .then([finished]);
  given([started, chunk0, finished])
    .when({ ...base, type: 'FinishGc' })
    .thenThrows('TALLY_GC_ALREADY_FINISHED');
  const failed: GcEvent = { type: 'GcFailed', data: { gcId: 'g1', reason: 'io-error', detail: 'EROFS' } };
  given([started])
    .when({ ...base, type: 'FailGc', reason: 'io-error', detail: 'EROFS' })
    .then([failed]);
  given([started, failed])
    .when({ ...base, type: 'CollectGcPaths', chunk: 0, paths })
    .thenThrows('TALLY_GC_ALREADY_FINISHED');
  assert.equal(given([started, chunk0, failed]).state, {
    status: 'failed',
    gcId: 'g1',
    freedBytes: 500,
    pathCount: 2,
  });
});

gc.run();
