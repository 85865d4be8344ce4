/**
 * The native jobset file (`tally.jobs.json`), validated. Pure: a parsed JSON value in, a jobset or
 * every problem found out, each naming its job and field, so the file can move to `domain/` later.
 *
 * ```json
 * { "jobs": { "hello": {
 *     "system": "x86_64-linux", "builder": "/bin/sh",
 *     "args": ["-c", "echo @{job:greeting} > $out"],
 *     "env": { "src": "@{source:src/hello}" },
 *     "inputs": ["greeting"], "sources": ["src/hello"],
 *     "outputs": ["out"], "name": "hello-1.0" } } }
 * ```
 * Strings in `builder`, `args` and `env` may hold placeholders: `@{job:NAME}` (the `out` output of
 * an input job), `@{job:NAME:OUTPUT}`, `@{source:PATH}` (the store path of a listed source); `@@{`
 * writes a literal `@{`. As in Nix, a derivation depends on exactly what its strings mention, so
 * every input and source must be used by a placeholder and every placeholder must name one.
 */
import { checkStorePathName } from '../../../domain/derivation/index.ts';
import { type Piece, parseTemplate } from './template.ts';

/** One job, as declared. */
export interface JobSpec {
  /** The job's name in the jobset. */
  readonly job: string;
  /** The derivation name (`name`, or the job name). */
  readonly drvName: string;
  readonly system: string;
  readonly builder: readonly Piece[];
  readonly args: readonly (readonly Piece[])[];
  /** Environment entries in file order; values are templates. */
  readonly env: ReadonlyMap<string, readonly Piece[]>;
  /** Declared outputs; absent means Nix's default `out` (and no `outputs` attribute). */
  readonly outputs: readonly string[] | undefined;
  readonly inputs: readonly string[];
  readonly sources: readonly string[];
}

/** A valid jobset: jobs in an order where every input comes before the jobs that use it. */
export interface Jobset {
  readonly jobs: readonly JobSpec[];
}

/** One thing wrong with a jobset file. */
export interface JobsetProblem {
  /** The job, when the problem is inside one. */
  readonly job?: string;
  /** The field (`env.src`, `args[2]`, `inputs`…). */
  readonly field?: string;
  readonly message: string;
}

export type JobsetParse =
  | { readonly ok: true; readonly jobset: Jobset }
  | { readonly ok: false; readonly problems: readonly JobsetProblem[] };

/** `job 'hello', field 'env.src': message`. */
export function describeProblem(problem: JobsetProblem): string {
  const where = [
    problem.job === undefined ? undefined : `job '${problem.job}'`,
    problem.field === undefined ? undefined : `field '${problem.field}'`,
  ].filter((part) => part !== undefined);
  return where.length > 0 ? `${where.join(', ')}: ${problem.message}` : problem.message;
}

const jobFields = new Set(['name', 'system', 'builder', 'args', 'env', 'inputs', 'sources', 'outputs']);
/** Attributes the `derivation` call itself sets; an env entry may not shadow them. */
const reservedEnv = new Set(['name', 'system', 'builder', 'args', 'outputs']);
const jobNamePattern = /^[A-Za-z0-9_+-][A-Za-z0-9_+.-]*$/;
const outputNamePattern = /^[A-Za-z0-9_+-][A-Za-z0-9_+.-]*$/;
const envNamePattern = /^[^=\0]+$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

class Collector {
  readonly problems: JobsetProblem[] = [];
  add(job: string | undefined, field: string | undefined, message: string): void {
    this.problems.push({ job, field, message });
  }
}

/** Checks a source path: relative, normalised, inside the checkout, with a usable store name. */
export function sourcePathProblem(path: string): string | undefined {
  if (path === '') return 'a source path must not be empty';
  if (path.startsWith('/')) return `'${path}' is absolute; sources are paths inside the checkout`;
  if (path.includes('\0')) return 'a source path must not contain NUL';
  const segments = path.split('/');
  if (segments.includes('..')) return `'${path}' leaves the checkout through '..'`;
  if (segments.some((segment) => segment === '' || segment === '.')) {
    return `'${path}' is not normalised (write it without '.', '//' or a trailing '/')`;
  }
  try {
    checkStorePathName(segments[segments.length - 1]!);
  } catch (error) {
    return `'${path}' cannot be added to the store: ${(error as Error).message}`;
  }
  return undefined;
}

function stringField(c: Collector, job: string, field: string, value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '' && !value.includes('\0')) return value;
  c.add(job, field, value === undefined ? 'is required' : 'must be a non-empty string without NUL');
  return undefined;
}

function template(c: Collector, job: string, field: string, value: unknown): Piece[] | undefined {
  if (typeof value !== 'string' || value.includes('\0')) {
    c.add(job, field, 'must be a string without NUL');
    return undefined;
  }
  const parsed = parseTemplate(value);
  if (!parsed.ok) c.add(job, field, parsed.message);
  return parsed.ok ? parsed.pieces : undefined;
}

function stringList(c: Collector, job: string, field: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    c.add(job, field, 'must be a list of strings');
    return [];
  }
  if (new Set(value).size !== value.length) c.add(job, field, 'lists the same entry twice');
  return value as string[];
}

function parseJob(c: Collector, job: string, value: unknown): JobSpec | undefined {
  if (!jobNamePattern.test(job)) {
    c.add(job, undefined, 'a job name uses letters, digits and _ + - . only, and does not start with .');
  }
  if (!isObject(value)) {
    c.add(job, undefined, 'must be an object');
    return undefined;
  }
  for (const key of Object.keys(value)) if (!jobFields.has(key)) c.add(job, key, 'is not a known field');
  const drvName = value.name === undefined ? job : stringField(c, job, 'name', value.name);
  if (drvName !== undefined) {
    try {
      checkStorePathName(drvName);
      if (drvName.endsWith('.drv')) throw new Error("derivation names may not end in '.drv'");
    } catch (error) {
      c.add(job, value.name === undefined ? undefined : 'name', (error as Error).message);
    }
  }
  const system = stringField(c, job, 'system', value.system);
  const builder = value.builder === undefined ? undefined : template(c, job, 'builder', value.builder);
  if (value.builder === undefined) c.add(job, 'builder', 'is required');
  let args: Piece[][] = [];
  if (value.args !== undefined && !Array.isArray(value.args)) c.add(job, 'args', 'must be a list of strings');
  else args = (value.args ?? []).map((arg: unknown, i: number) => template(c, job, `args[${i}]`, arg) ?? []);
  const env = new Map<string, Piece[]>();
  if (value.env !== undefined && !isObject(value.env)) c.add(job, 'env', 'must be an object of strings');
  for (const [key, raw] of Object.entries(isObject(value.env) ? value.env : {})) {
    if (!envNamePattern.test(key)) c.add(job, `env.${key}`, 'is not a usable variable name');
    else if (reservedEnv.has(key)) c.add(job, `env.${key}`, `'${key}' is a field of the job, not of env`);
    env.set(key, template(c, job, `env.${key}`, raw) ?? []);
  }
  const outputs = value.outputs === undefined ? undefined : stringList(c, job, 'outputs', value.outputs);
  if (outputs?.length === 0) c.add(job, 'outputs', 'must name at least one output');
  for (const output of outputs ?? []) {
    if (!outputNamePattern.test(output) || output === 'drv') {
      c.add(job, 'outputs', `'${output}' is not a valid output name`);
    }
    if (env.has(output)) c.add(job, `env.${output}`, `'${output}' is an output; Nix sets it to its path`);
  }
  if (outputs === undefined && env.has('out')) c.add(job, 'env.out', "'out' is an output; Nix sets it");
  const sources = stringList(c, job, 'sources', value.sources);
  for (const source of sources) {
    const problem = sourcePathProblem(source);
    if (problem) c.add(job, 'sources', problem);
  }
  if (drvName === undefined || system === undefined || builder === undefined) return undefined;
  const inputs = stringList(c, job, 'inputs', value.inputs);
  return { job, drvName, system, builder, args, env, outputs, inputs, sources };
}

/** Validates a parsed jobset file. */
export function parseJobset(value: unknown): JobsetParse {
  const c = new Collector();
  if (!isObject(value)) return { ok: false, problems: [{ message: 'a jobset is a JSON object' }] };
  for (const key of Object.keys(value)) if (key !== 'jobs') c.add(undefined, key, 'is not a known field');
  if (!isObject(value.jobs)) {
    c.add(undefined, 'jobs', 'must be an object of jobs');
    return { ok: false, problems: c.problems };
  }
  const specs = new Map<string, JobSpec>();
  for (const [job, raw] of Object.entries(value.jobs)) {
    const spec = parseJob(c, job, raw);
    if (spec) specs.set(job, spec);
  }
  for (const spec of specs.values()) checkReferences(c, spec, specs);
  const order = c.problems.length === 0 ? topologicalOrder(c, specs) : [];
  return c.problems.length === 0
    ? { ok: true, jobset: { jobs: order } }
    : { ok: false, problems: c.problems };
}

/** Every placeholder names a declared input or source, and every input and source is used. */
function checkReferences(c: Collector, spec: JobSpec, specs: ReadonlyMap<string, JobSpec>): void {
  const usedJobs = new Set<string>();
  const usedSources = new Set<string>();
  const fields: [string, readonly Piece[]][] = [
    ['builder', spec.builder],
    ...spec.args.map((arg, i): [string, readonly Piece[]] => [`args[${i}]`, arg]),
    ...[...spec.env].map(([key, pieces]): [string, readonly Piece[]] => [`env.${key}`, pieces]),
  ];
  for (const input of spec.inputs) {
    if (!specs.has(input)) c.add(spec.job, 'inputs', `'${input}' names no job of this jobset`);
  }
  for (const [field, pieces] of fields) {
    for (const piece of pieces) {
      if (typeof piece === 'string') continue;
      if (piece.kind === 'source') {
        usedSources.add(piece.path);
        if (!spec.sources.includes(piece.path)) {
          c.add(spec.job, field, `@{source:${piece.path}} is not listed in 'sources'`);
        }
        continue;
      }
      usedJobs.add(piece.job);
      if (!spec.inputs.includes(piece.job)) {
        c.add(spec.job, field, `@{job:${piece.job}} is not listed in 'inputs'`);
        continue;
      }
      const outputs = specs.get(piece.job)?.outputs ?? ['out'];
      if (specs.has(piece.job) && !outputs.includes(piece.output)) {
        c.add(spec.job, field, `job '${piece.job}' has no output '${piece.output}'`);
      }
    }
  }
  for (const input of spec.inputs.filter((name) => !usedJobs.has(name))) {
    c.add(spec.job, 'inputs', `'${input}' is never used by a @{job:${input}} placeholder`);
  }
  for (const source of spec.sources.filter((path) => !usedSources.has(path))) {
    c.add(spec.job, 'sources', `'${source}' is never used by a @{source:${source}} placeholder`);
  }
}

/** Depth-first order; a cycle is reported with its path. */
function topologicalOrder(c: Collector, specs: ReadonlyMap<string, JobSpec>): JobSpec[] {
  const order: JobSpec[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (spec: JobSpec, path: string[]): boolean => {
    const seen = state.get(spec.job);
    if (seen === 'done') return true;
    if (seen === 'visiting') {
      const cycle = [...path.slice(path.indexOf(spec.job)), spec.job].join(' → ');
      c.add(spec.job, 'inputs', `the jobs depend on each other in a cycle: ${cycle}`);
      return false;
    }
    state.set(spec.job, 'visiting');
    for (const input of spec.inputs) {
      if (!visit(specs.get(input)!, [...path, spec.job])) return false;
    }
    state.set(spec.job, 'done');
    order.push(spec);
    return true;
  };
  for (const spec of specs.values()) if (!visit(spec, [])) break;
  return order;
}
