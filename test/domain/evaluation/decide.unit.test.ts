import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type EvaluationEvent,
  evaluationDecider,
  type Job,
  type RequestEvaluation,
} from '../../../domain/evaluation/index.ts';
import { givenFor } from '../given.ts';

const given = givenFor(evaluationDecider);
const evaluationId = 'e42';
const base = { evaluationId, at: '2024-05-01T12:00:00Z', actor: 'evaluator' } as const;
const checkout = {
  channel: 'guix',
  url: 'https://git.savannah.gnu.org/git/guix.git',
  branch: 'master',
  commit: 'a'.repeat(40),
  commitTime: '2024-05-01T11:00:00Z',
};
const request: RequestEvaluation = {
  ...base,
  actor: 'poller',
  type: 'RequestEvaluation',
  spec: 'guix',
  trigger: { kind: 'poll' },
  checkouts: [checkout],
};
const evaluator = { kind: 'guix', entry: '(gnu ci)' } as const;
const job: Job = {
  name: 'hello.x86_64-linux',
  system: 'x86_64-linux',
  drvPath: '/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpna-hello-2.12.drv',
  outputs: { out: '/nix/store/0c2kzmhpbwl8xwsyxsvmhzf3ynn6r4ww-hello-2.12' },
};
const requested: EvaluationEvent = {
  type: 'EvaluationRequested',
  data: { evaluationId, spec: 'guix', trigger: { kind: 'poll' }, checkouts: [checkout] },
};
const started: EvaluationEvent = {
  type: 'EvaluationStarted',
  data: { evaluationId, evaluator, startedAt: '2024-05-01T12:00:00Z' },
};
const chunk0: EvaluationEvent = {
  type: 'EvaluationJobsAdded',
  data: { evaluationId, chunk: 0, jobs: [job] },
};
const completed: EvaluationEvent = {
  type: 'EvaluationCompleted',
  data: { evaluationId, jobCount: 1, durationMs: 90_000 },
};
const later = { ...base, at: '2024-05-01T12:01:30Z' };

const life = suite('an evaluation');

life('is requested once, with at least one checkout', () => {
  given([]).when(request).then([requested]);
  given([requested]).when(request).thenThrows('TALLY_EVALUATION_ALREADY_EXISTS');
  given([])
    .when({ ...request, checkouts: [] })
    .thenThrows('TALLY_EVALUATION_INVALID');
  given([])
    .when({ ...request, trigger: { kind: 'patch-series' } })
    .thenThrows('TALLY_EVALUATION_INVALID');
});

life('records the builds its scheduling reused once it completed, each chunk once and in order', () => {
  const reused = {
    ...later,
    type: 'RecordReusedBuilds',
    chunk: 0,
    spec: 'guix',
    priority: 2,
    builds: [{ drvPath: job.drvPath, jobs: [job.name] }],
  } as const;
  const recorded: EvaluationEvent = {
    type: 'EvaluationBuildsReused',
    data: { evaluationId, chunk: 0, spec: 'guix', priority: 2, builds: reused.builds },
  };
  given([requested, started, chunk0, completed]).when(reused).then([recorded]);
  given([requested, started, chunk0, completed, recorded]).when(reused).thenNothing();
  given([requested, started, chunk0, completed])
    .when({ ...reused, chunk: 1 })
    .thenThrows('TALLY_EVALUATION_CHUNK_OUT_OF_ORDER');
  given([requested, started, chunk0]).when(reused).thenThrows('TALLY_EVALUATION_NOT_COMPLETED');
  given([requested, started, chunk0, completed])
    .when({ ...reused, builds: [] })
    .thenThrows('TALLY_EVALUATION_INVALID');
});

life('records the detection of its heads when the poll names it', () => {
  given([])
    .when({ ...request, detection: 7 })
    .then([{ ...requested, data: { ...requested.data, detection: 7 } } as EvaluationEvent]);
});

life('starts once, and only after a request', () => {
  given([requested])
    .when({ ...base, type: 'StartEvaluation', evaluator })
    .then([started]);
  given([requested, started])
    .when({ ...base, type: 'StartEvaluation', evaluator })
    .thenThrows('TALLY_EVALUATION_ALREADY_STARTED');
  given([])
    .when({ ...base, type: 'StartEvaluation', evaluator })
    .thenThrows('TALLY_EVALUATION_NOT_FOUND');
});

life('records jobs chunk after chunk while it runs', () => {
  const add = { ...base, type: 'AddEvaluationJobs', chunk: 0, jobs: [job] } as const;
  given([requested, started]).when(add).then([chunk0]);
  given([requested]).when(add).thenThrows('TALLY_EVALUATION_NOT_STARTED');
  given([requested, started, chunk0]).when(add).thenThrows('TALLY_EVALUATION_CHUNK_OUT_OF_ORDER');
  given([requested, started])
    .when({ ...add, chunk: 1 })
    .thenThrows('TALLY_EVALUATION_CHUNK_OUT_OF_ORDER');
  given([requested, started])
    .when({ ...add, jobs: [] })
    .thenThrows('TALLY_EVALUATION_INVALID');
  const huge = Array.from({ length: 6000 }, (_, index) => ({ ...job, name: `${'x'.repeat(100)}${index}` }));
  given([requested, started])
    .when({ ...add, jobs: huge })
    .thenThrows('TALLY_EVALUATION_CHUNK_TOO_LARGE');
  // One job alone over the budget: no split helps, and the code says so.
  given([requested, started])
    .when({ ...add, jobs: [{ ...job, name: 'x'.repeat(1_100_000) }] })
    .thenThrows('TALLY_EVALUATION_JOB_TOO_LARGE');
  // A name is one job: twice in a chunk is refused.
  given([requested, started])
    .when({ ...add, jobs: [job, { ...job, drvPath: `${job.drvPath}x` }] })
    .thenThrows('TALLY_EVALUATION_INVALID');
  given([requested, started, chunk0])
    .when({ ...add, chunk: 1, jobs: [{ ...job, name: 'other' }] })
    .then([
      { type: 'EvaluationJobsAdded', data: { ...chunk0.data, chunk: 1, jobs: [{ ...job, name: 'other' }] } },
    ]);
});

life('completes with its duration when every job is recorded', () => {
  given([requested, started, chunk0])
    .when({ ...later, type: 'CompleteEvaluation', jobCount: 1 })
    .then([completed]);
  given([requested, started])
    .when({ ...later, type: 'CompleteEvaluation', jobCount: 1 })
    .thenThrows('TALLY_EVALUATION_JOB_COUNT_MISMATCH');
  given([requested])
    .when({ ...later, type: 'CompleteEvaluation', jobCount: 0 })
    .thenThrows('TALLY_EVALUATION_NOT_STARTED');
});

life('takes no jobs and no second end once it has ended', () => {
  const failed: EvaluationEvent = {
    type: 'EvaluationFailed',
    data: { evaluationId, reason: 'out-of-memory', logRef: 'sha256:log' },
  };
  const aborted: EvaluationEvent = {
    type: 'EvaluationAborted',
    data: { evaluationId, by: 'user:alice', why: 'superseded' },
  };
  for (const end of [completed, failed, aborted]) {
    const history = [requested, started, chunk0, end];
    given(history)
      .when({ ...base, type: 'AddEvaluationJobs', chunk: 1, jobs: [job] })
      .thenThrows('TALLY_EVALUATION_ALREADY_FINISHED');
    given(history)
      .when({ ...base, type: 'FailEvaluation', reason: 'timed-out', logRef: 'l' })
      .thenThrows('TALLY_EVALUATION_ALREADY_FINISHED');
    given(history)
      .when({ ...base, type: 'AbortEvaluation', why: 'x' })
      .thenThrows('TALLY_EVALUATION_ALREADY_FINISHED');
  }
  given([requested])
    .when({ ...base, type: 'FailEvaluation', reason: 'out-of-memory', logRef: 'sha256:log' })
    .then([failed]);
  given([requested, started])
    .when({ ...base, actor: 'user:alice', type: 'AbortEvaluation', why: 'superseded' })
    .then([aborted]);
  assert.is(given([requested, started, aborted]).state.status, 'aborted');
});

life.run();
