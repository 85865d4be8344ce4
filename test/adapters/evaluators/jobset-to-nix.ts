/**
 * Writes the Nix expression that a native jobset promises to be equivalent to: each job a
 * `derivation { name; system; builder; args; outputs?; <env>; }`, `@{job:x}` as `${x}`, `@{job:x:o}`
 * as `${x.o}`, `@{source:p}` as `${./p}`. The contract tests instantiate it with the real nix.
 */
import { parseTemplate } from '../../../adapters/evaluators/native/template.ts';

/** A Nix string literal; `${` and the escapes Nix knows are escaped. */
function nixString(text: string): string {
  return `"${text.replace(/[\\"$\n\r\t]/g, (char) => ({ '\\': '\\\\', '"': '\\"', $: '\\$', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[char]!)}"`;
}

function nixTemplate(text: string): string {
  const parsed = parseTemplate(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return (
    parsed.pieces
      .map((piece) => {
        if (typeof piece === 'string') return nixString(piece);
        if (piece.kind === 'source') return `"\${./${piece.path}}"`;
        const attr = (name: string) => `jobs.${JSON.stringify(name)}`;
        return piece.output === 'out'
          ? `"\${${attr(piece.job)}}"`
          : `"\${${attr(piece.job)}.${piece.output}}"`;
      })
      .reduce((all, part) => (all === '' ? part : `${all} + ${part}`), '') || '""'
  );
}

interface JobJson {
  name?: string;
  system: string;
  builder: string;
  args?: string[];
  env?: Record<string, string>;
  outputs?: string[];
}

/** `rec`-style set of all jobs, as a Nix file placed in the checkout's root. */
export function jobsetToNix(jobset: { jobs: Record<string, JobJson> }): string {
  const jobs = Object.entries(jobset.jobs).map(([name, job]) => {
    const attrs = [
      `name = ${nixString(job.name ?? name)};`,
      `system = ${nixString(job.system)};`,
      `builder = ${nixTemplate(job.builder)};`,
      `args = [ ${(job.args ?? []).map((arg) => `(${nixTemplate(arg)})`).join(' ')} ];`,
      ...(job.outputs ? [`outputs = [ ${job.outputs.map(nixString).join(' ')} ];`] : []),
      ...Object.entries(job.env ?? {}).map(
        ([key, value]) => `${JSON.stringify(key)} = ${nixTemplate(value)};`,
      ),
    ];
    return `  ${JSON.stringify(name)} = derivation {\n    ${attrs.join('\n    ')}\n  };`;
  });
  return `let jobs = {\n${jobs.join('\n')}\n}; in jobs\n`;
}
