/**
 * The documents the API shows, made from the records the state keeps (see `BuildRecord`): the same
 * JSON the state held before it was made smaller, fields absent where they were absent.
 */

import { isoOf } from '../shared/stored-time.ts';
import type { AttemptDoc, AttemptRecord, Attempts, BuildDoc, BuildRecord, WantedByDoc } from './state.ts';

function attemptDoc(a: AttemptRecord): AttemptDoc {
  const doc: {
    -readonly [K in keyof AttemptDoc]: AttemptDoc[K];
  } = { attemptId: a.attemptId, worker: a.worker, number: a.number, dispatchedAt: isoOf(a.dispatchedAt) };
  if (a.startedAt !== null) doc.startedAt = isoOf(a.startedAt);
  if (a.logRef !== null) doc.logRef = a.logRef;
  if (a.logBytes !== null) doc.logBytes = a.logBytes;
  if (a.finishedAt !== null) doc.finishedAt = isoOf(a.finishedAt);
  if (a.result !== null) doc.result = a.result;
  if (a.lateResults !== null) doc.lateResults = a.lateResults;
  return doc;
}

function attemptDocs(attempts: Attempts): AttemptDoc[] {
  if (attempts === null) return [];
  return Array.isArray(attempts) ? attempts.map(attemptDoc) : [attemptDoc(attempts as AttemptRecord)];
}

/** The flat `spec, job, evaluation` triples as documents. */
function wantedByDocs(flat: readonly string[]): WantedByDoc[] {
  const docs: WantedByDoc[] = [];
  for (let i = 0; i < flat.length; i += 3)
    docs.push({ spec: flat[i]!, job: flat[i + 1]!, evaluation: flat[i + 2]! });
  return docs;
}

function outputsRecord(outputs: string | readonly string[]): Record<string, string> {
  if (typeof outputs === 'string') return { out: outputs };
  const pairs = outputs;
  const entries: [string, string][] = [];
  for (let i = 0; i < pairs.length; i += 2) entries.push([pairs[i]!, pairs[i + 1]!]);
  return Object.fromEntries(entries);
}

/** The document of the build whose record is `record` and whose `.drv` hash part is `hash`. */
export function buildDoc(record: BuildRecord, hash: string): BuildDoc {
  const doc: { -readonly [K in keyof BuildDoc]: BuildDoc[K] } = {
    id: record.id,
    hash,
    drvPath: record.drvPath,
    system: record.system,
    status: record.status,
    priority: record.priority,
    queuedAt: isoOf(record.queuedAt),
    wantedBy: wantedByDocs(record.wantedBy),
    wantedCount: record.wantedCount,
    attempts: attemptDocs(record.attempts),
    restarts: record.restarts,
  };
  if (record.finishedAt !== null) doc.finishedAt = isoOf(record.finishedAt);
  if (record.outputs !== null) doc.outputs = outputsRecord(record.outputs);
  const { ending } = record;
  if (typeof ending === 'string') {
    if (record.status === 'substituted') doc.substitutedFrom = ending;
    else doc.cancelledBy = ending;
  } else if (ending !== null) {
    doc.failure = ending.reason;
    if (ending.message !== null) doc.failureMessage = ending.message;
  }
  return doc;
}
