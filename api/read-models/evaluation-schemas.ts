/** Schemas of the evaluations and jobsets read models' documents, shared by several resources. */
import { Type } from 'typebox';
import { list, openObject } from './schemas.ts';

/** A build's statuses. */
const buildStatuses = [
  'queued',
  'dispatched',
  'building',
  'succeeded',
  'failed',
  'cancelled',
  'substituted',
] as const;

/** A job's: its build's, or `unscheduled` while its derivation has no build. */
export const jobStatuses = ['unscheduled', ...buildStatuses] as const;

export const BuildStatus = Type.Enum([...buildStatuses]);

export const JobStatus = Type.Enum([...jobStatuses]);

export const JobCounts = Type.Object(
  Object.fromEntries(jobStatuses.map((status) => [status, Type.Integer()])) as Record<
    (typeof jobStatuses)[number],
    ReturnType<typeof Type.Integer>
  >,
);

/** An evaluation without its jobs. */
export const EvaluationSummary = openObject({
  id: Type.String(),
  spec: Type.String(),
  status: Type.Enum(['requested', 'started', 'completed', 'failed', 'aborted']),
  trigger: openObject({ kind: Type.String() }),
  checkouts: list(openObject({})),
  requestedAt: Type.String(),
  startedAt: Type.Optional(Type.String()),
  finishedAt: Type.Optional(Type.String()),
  durationMs: Type.Optional(Type.Number()),
  jobCount: Type.Integer(),
  counts: JobCounts,
  end: Type.Optional(openObject({ kind: Type.String() })),
});

export const EvaluationJob = Type.Object({ name: Type.String(), drvPath: Type.String(), status: JobStatus });

/** An evaluation id as the API takes it. */
export const EvaluationId = Type.String({ minLength: 1, maxLength: 256, pattern: '^\\S+$' });
/** A specification's name as the API takes it. */
export const SpecName = Type.String({ minLength: 1, maxLength: 128, pattern: '^\\S+$' });
