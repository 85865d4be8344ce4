import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { envelop } from '../../domain/envelope.ts';
import { eventRegistry, isTallyEventType, type TallyEvent } from '../../domain/events.ts';
import { parseEvent } from '../../domain/parse-event.ts';
import { parseStreamName, streamCategories } from '../../domain/shared/streams.ts';
import { cancelled, dispatched, drvPath, failed, queued, requeued, succeeded } from './build/fixtures.ts';

const checkout = {
  channel: 'guix',
  url: 'https://git.savannah.gnu.org/git/guix.git',
  branch: 'master',
  commit: 'a'.repeat(40),
  commitTime: '2024-05-01T11:00:00Z',
};

const samples: TallyEvent[] = [
  queued,
  dispatched('a1'),
  succeeded('a1'),
  failed('a1'),
  requeued('a1'),
  cancelled,
  { type: 'BuildFailed', data: { drvPath, reason: { kind: 'dependency-failed', root: drvPath } } },
  {
    type: 'EvaluationRequested',
    data: {
      evaluationId: 'e1',
      spec: 'guix',
      trigger: { kind: 'manual', by: 'user:alice' },
      checkouts: [checkout],
    },
  },
  { type: 'CheckoutDetected', data: { spec: 'guix', ...checkout, detectedAt: '2024-05-01T12:00:00Z' } },
  { type: 'WorkerLost', data: { name: 'w1', lastSeenAt: '2024-05-01T12:00:00Z' } },
  { type: 'GcFinished', data: { gcId: 'g1', freedBytes: 10, pathCount: 1 } },
  {
    type: 'NotificationSent',
    data: {
      notificationId: 'n1',
      channel: 'webhook',
      target: 'https://x',
      about: { kind: 'evaluation', evaluationId: 'e1' },
      attempt: 1,
    },
  },
  { type: 'SpecificationRemoved', data: { name: 'guix', by: 'user:alice' } },
];

const registry = suite('the event registry');

registry('files every event type under a stream category with a schema version', () => {
  const types = Object.keys(eventRegistry);
  assert.is(types.length, 41);
  for (const type of types) {
    const entry = eventRegistry[type as keyof typeof eventRegistry];
    assert.ok(streamCategories.includes(entry.category), type);
    assert.ok(entry.schemaVersion >= 1, type);
    assert.match(type, /^[A-Z][A-Za-z]+$/);
  }
  assert.is(eventRegistry.BuildFailed.schemaVersion, 2);
  assert.is(eventRegistry.EvaluationRequested.category, 'eval');
  assert.ok(isTallyEventType('WorkerDrained'));
  assert.not.ok(isTallyEventType('toString'));
});

const parsing = suite('parseEvent');

parsing('reads back every sample event after a trip through JSON', () => {
  for (const event of samples) {
    const stored = JSON.parse(JSON.stringify(event.data));
    const parsed = parseEvent(event.type, stored, eventRegistry[event.type].schemaVersion);
    assert.equal(parsed, { ok: true, event }, event.type);
  }
});

parsing('returns a typed failure for an unknown type', () => {
  const parsed = parseEvent('BuildExploded', {}, 1);
  assert.is(parsed.ok, false);
  assert.is(!parsed.ok && parsed.reason, 'unknown-type');
  assert.is(!parsed.ok && parseEvent('__proto__', {}, 1).ok, false);
});

parsing('returns the field paths of malformed data, without throwing', () => {
  const cases: [string, unknown, string[]][] = [
    ['BuildDispatched', { drvPath, worker: 'w1', attemptId: 'a1', attempt: '1' }, ['data.attempt']],
    ['BuildDispatched', { drvPath, worker: 'w1' }, ['data.attemptId', 'data.attempt']],
    ['BuildFailed', { drvPath, reason: { kind: 'exit-code' } }, ['data.reason.exitCode']],
    ['BuildFailed', { drvPath, reason: { kind: 'melted' } }, ['data.reason.kind']],
    ['BuildCancelled', { drvPath, by: 'robot' }, ['data.by']],
    [
      'EvaluationRequested',
      { evaluationId: 'e', spec: 's', trigger: { kind: 'poll' }, checkouts: [] },
      ['data.checkouts'],
    ],
    [
      'CheckoutDetected',
      { spec: 's', ...checkout, commit: 'HEAD', detectedAt: 'now' },
      ['data.commit', 'data.detectedAt'],
    ],
    ['WorkerLost', null, ['data']],
    ['GcFinished', [1, 2], ['data']],
  ];
  for (const [type, data, paths] of cases) {
    const parsed = parseEvent(type, data, eventRegistry[type as keyof typeof eventRegistry].schemaVersion);
    assert.is(parsed.ok, false, type);
    if (parsed.ok) continue;
    assert.is(parsed.reason, 'malformed', type);
    assert.equal(
      parsed.issues.map((issue) => issue.path),
      paths,
      type,
    );
  }
});

parsing('refuses versions newer than the code, or below 1', () => {
  for (const version of [3, 0, -1, 1.5, Number.NaN]) {
    const parsed = parseEvent('BuildFailed', {}, version);
    assert.is(!parsed.ok && parsed.reason, 'unsupported-version', String(version));
  }
});

const upcasting = suite('upcasters');

upcasting('turn a schema 1 BuildFailed (exit code, signal, message) into the reason union', () => {
  const v1 = (exitCode: number | null, signal: string | null, message: string) => ({
    drvPath,
    attemptId: 'a1',
    exitCode,
    signal,
    message,
  });
  const read = (data: unknown): { reason?: unknown } => {
    const parsed = parseEvent('BuildFailed', data, 1);
    return parsed.ok && parsed.event.type === 'BuildFailed' ? parsed.event.data : {};
  };
  assert.equal(read(v1(2, null, 'builder failed with exit code 2')), {
    drvPath,
    attemptId: 'a1',
    reason: { kind: 'exit-code', exitCode: 2 },
    message: 'builder failed with exit code 2',
  });
  assert.equal(read(v1(null, 'SIGSEGV', 'killed')).reason, { kind: 'signal', signal: 'SIGSEGV' });
  assert.equal(read(v1(null, null, 'build timed out after 3600 seconds')).reason, { kind: 'timed-out' });
  assert.equal(read(v1(null, null, 'no output for 7200 seconds: silent too long')).reason, {
    kind: 'silent-too-long',
  });
  for (const message of [
    'worker lost during the build',
    'Worker w3 disconnected',
    'lost contact with the builder',
  ])
    assert.equal(read(v1(null, null, message)).reason, { kind: 'worker-lost' }, message);
  // Statuses no process exits with were no exit status: the message is all there is.
  for (const exitCode of [-1, 256])
    assert.equal(read(v1(exitCode, null, 'the builder could not be run')).reason, {
      kind: 'infrastructure',
      detail: 'the builder could not be run',
    });
  assert.equal(read({ drvPath, exitCode: null, signal: null, message: 'disk full' }), {
    drvPath,
    reason: { kind: 'infrastructure', detail: 'disk full' },
    message: 'disk full',
  });
});

upcasting('turn a schema 1 EvaluationRequested with one checkout into checkouts[]', () => {
  const parsed = parseEvent(
    'EvaluationRequested',
    { evaluationId: 'e1', spec: 'guix', trigger: { kind: 'poll' }, checkout },
    1,
  );
  assert.equal(parsed, {
    ok: true,
    event: {
      type: 'EvaluationRequested',
      data: { evaluationId: 'e1', spec: 'guix', trigger: { kind: 'poll' }, checkouts: [checkout] },
    },
  });
});

upcasting('report malformed old shapes as malformed, with their paths', () => {
  const parsed = parseEvent('BuildFailed', { drvPath, exitCode: 'two', signal: null }, 1);
  assert.is(!parsed.ok && parsed.reason, 'malformed');
  assert.equal(!parsed.ok && parsed.issues.map((issue) => issue.path), ['data.exitCode', 'data.message']);
  const old = parseEvent(
    'EvaluationRequested',
    { evaluationId: 'e1', spec: 'guix', trigger: { kind: 'poll' }, checkouts: [checkout] },
    1,
  );
  assert.is(!old.ok && old.reason, 'malformed');
});

const envelopes = suite('envelopes');

envelopes('give a retried decision the same ids and the metadata of its conversation', () => {
  const context = {
    cause: { kind: 'event', id: '3f1e6c1a-0d43-4c3c-9d7e-6a1b0b6f7a10', correlationId: 'c-1' },
    actor: 'dispatcher',
    at: '2024-05-01T12:00:00Z',
    scope: 'build-ihdwy5k1i80r3gggim39pday2v3vbpna',
  } as const;
  const first = envelop([dispatched('a1'), failed('a1')], context);
  const retry = envelop([dispatched('a1'), failed('a1')], context);
  assert.equal(first, retry);
  assert.is.not(first[0]!.id, first[1]!.id);
  assert.is.not(envelop([dispatched('a1')], { ...context, scope: 'other' })[0]!.id, first[0]!.id);
  assert.equal(first[1]!.metadata, {
    schemaVersion: 2,
    correlationId: 'c-1',
    causationId: context.cause.id,
    actor: 'dispatcher',
    at: context.at,
  });
  assert.equal(parseStreamName(context.scope), { category: 'build', id: 'ihdwy5k1i80r3gggim39pday2v3vbpna' });
});

registry.run();
parsing.run();
upcasting.run();
envelopes.run();
