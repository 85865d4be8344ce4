/**
 * The native evaluator: a jobset file in the repository, turned into derivations by Tally itself.
 * The work runs in a child node process (`worker.ts`) with a heap cap, a wall clock and an output
 * cap, so a hostile or enormous jobset costs one failed evaluation and nothing more.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild } from '../child.ts';
import type { EvaluationRequest, EvaluationResult, Evaluator } from '../evaluator.ts';
import { readWorkerAnswer } from './answer.ts';
import type { WorkerRequest } from './worker.ts';

const workerScript = fileURLToPath(new URL('./worker.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');
const mebibyte = 1024 * 1024;

export { defaultJobsetFile } from './jobset-file.ts';

export function createNativeEvaluator(): Evaluator {
  return { name: 'native', evaluate };
}

async function evaluate(request: EvaluationRequest): Promise<EvaluationResult> {
  const { limits } = request;
  const workerRequest: WorkerRequest = {
    checkoutDir: resolve(request.checkoutDir),
    entry: request.entry,
    storeDir: request.storeDir,
    outputBytes: limits.outputBytes,
    memoryBytes: limits.memoryBytes,
  };
  const heapMb = Math.max(16, Math.floor(limits.memoryBytes / mebibyte));
  const run = await runChild(
    process.execPath,
    [`--max-old-space-size=${heapMb}`, '--import', tsxLoader, workerScript, JSON.stringify(workerRequest)],
    {
      cwd: workerRequest.checkoutDir,
      timeoutMs: limits.timeoutMs,
      outputBytes: limits.outputBytes,
      signal: request.signal,
    },
  );
  return readWorkerAnswer(run, request, limits);
}
