/**
 * What an evaluator answered, checked before anything is recorded: job names Tally can show and link
 * to, systems the specification builds, derivations that are in the store directory and parse.
 */
import { parseDerivation, storePathBaseName } from '../../../domain/derivation/index.ts';
import type { Job } from '../../../domain/evaluation/job.ts';
import type { EvaluatedJob } from '../../evaluators/evaluator.ts';

/** No spaces, slashes or control characters (shown on terminals), and not `.` or `..` (a URL would climb). */
const jobName = /^(?!\.\.?$)[^\s/\p{Cc}]{1,200}$/u;

/** The jobs to record, or one line saying which job is wrong and why. */
export function validateJobs(
  jobs: readonly EvaluatedJob[],
  drvFiles: ReadonlyMap<string, Uint8Array>,
  storeDir: string,
  systems: readonly string[],
): { ok: true; jobs: Job[] } | { ok: false; message: string } {
  const seen = new Set<string>();
  const valid: Job[] = [];
  for (const job of jobs) {
    // Quoted as JSON: a refused name may hold the control characters it is refused for.
    const refuse = (why: string) => ({
      ok: false as const,
      message: `job ${JSON.stringify(job.name)}: ${why}`,
    });
    if (!jobName.test(job.name))
      return refuse(
        'a job name has no spaces, slashes or control characters, is not . or .., and has at most 200 characters',
      );
    if (seen.has(job.name)) return refuse('the name is used twice');
    seen.add(job.name);
    if (!systems.includes(job.system) && job.system !== 'builtin')
      return refuse(`system ${job.system} is not one the specification builds (${systems.join(', ')})`);
    if (!job.drvPath.startsWith(`${storeDir}/`) || !job.drvPath.endsWith('.drv'))
      return refuse(`${job.drvPath} is not a derivation in ${storeDir}`);
    const bytes = drvFiles.get(job.drvPath);
    if (!bytes) return refuse(`the evaluator did not produce ${job.drvPath}`);
    try {
      const drv = parseDerivation(bytes, storePathBaseName(job.drvPath).slice(33, -'.drv'.length));
      for (const [name, path] of Object.entries(job.outputs)) {
        if (drv.outputs.get(name)?.path !== path)
          return refuse(`output ${name} is not ${path} in its derivation`);
      }
    } catch (error) {
      return refuse(`its derivation does not parse: ${(error as Error).message}`);
    }
    valid.push({ name: job.name, system: job.system, drvPath: job.drvPath, outputs: job.outputs });
  }
  return { ok: true, jobs: valid };
}
