/**
 * Evaluation logs: what an evaluator wrote, kept gzip'd per evaluation in `<data>/evaluation-logs/`,
 * named by the evaluation id (which the runner checks is a safe file name before using it).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const safeId = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function fileOf(dataDir: string, evaluationId: string): string | undefined {
  return safeId.test(evaluationId) ? join(dataDir, 'evaluation-logs', `${evaluationId}.log.gz`) : undefined;
}

/** The reference an EvaluationFailed event carries for a log kept here. */
export const evaluationLogRef = (evaluationId: string) => `evaluation-log:${evaluationId}`;

export async function writeEvaluationLog(dataDir: string, evaluationId: string, log: string): Promise<void> {
  const file = fileOf(dataDir, evaluationId);
  if (!file) return;
  await mkdir(join(dataDir, 'evaluation-logs'), { recursive: true });
  await writeFile(`${file}.tmp`, gzipSync(log));
  await rename(`${file}.tmp`, file);
}

/** The log of an evaluation, or undefined when none is kept. */
export async function readEvaluationLog(dataDir: string, evaluationId: string): Promise<string | undefined> {
  const file = fileOf(dataDir, evaluationId);
  if (!file) return undefined;
  try {
    return gunzipSync(await readFile(file)).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
