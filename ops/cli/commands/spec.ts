/**
 * `tally spec add|update|rm|list|show`: specifications (jobsets) through a running server's API.
 * Files are JSON specifications as `POST /api/specs` takes them; `-` reads standard input.
 */
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { revisionOfIfMatch } from '../../../api/commands/if-match.ts';
import { type ApiOptions, addApiOptions, callApi, pathSegment, print } from '../api-client.ts';
import { CliError } from '../cli-error.ts';
import { integerOption } from '../options.ts';

/** What a command route answers. */
interface CommandResult {
  readonly stream: string;
  readonly revision: number;
  readonly position: number | null;
  readonly events: readonly string[];
}

interface SpecView {
  readonly name: string;
  readonly active: boolean;
  readonly definition: Record<string, unknown>;
  readonly registeredAt: string;
  readonly updatedAt: string;
  readonly revision: number;
  readonly lastEvaluation?: { readonly id: string; readonly status: string };
}

async function readSpecFile(file: string): Promise<unknown> {
  let text: string;
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  } else {
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CliError('TALLY_CLI_INVALID_OPTION', `cannot read ${file}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(
      'TALLY_CLI_INVALID_OPTION',
      `${file === '-' ? 'standard input' : file} is not JSON (${(error as Error).message}); a specification is a JSON object`,
    );
  }
}

const ifMatch = (options: { ifMatch?: number }) =>
  options.ifMatch === undefined ? {} : { headers: { 'if-match': `"${options.ifMatch}"` } };

/** A revision as `tally spec show` prints it, or as the ETag the API sends (`"3"`, `W/"3"`). */
function revisionOption(value: string): number {
  return revisionOfIfMatch(value) ?? integerOption('--if-match')(value);
}

const written = (what: string, result: CommandResult) =>
  result.events.length === 0
    ? `${what}: nothing to change (${result.stream} stays at revision ${result.revision})`
    : `${what}: ${result.events.join(', ')} (${result.stream} revision ${result.revision})`;

async function add(file: string, options: ApiOptions): Promise<void> {
  const spec = await readSpecFile(file);
  const { body } = await callApi<CommandResult>(options, 'POST', '/api/specs', { body: spec });
  print(options, body, () => written(`registered ${body.stream.slice('spec-'.length)}`, body));
}

async function update(name: string, file: string, options: ApiOptions & { ifMatch?: number }): Promise<void> {
  const spec = await readSpecFile(file);
  const path = `/api/specs/${pathSegment(name)}`;
  const { body } = await callApi<CommandResult>(options, 'PUT', path, { body: spec, ...ifMatch(options) });
  print(options, body, () => written(`updated ${name}`, body));
  // An update keeps the active flag: say so rather than let a file's `active` pass for applied.
  if (typeof spec === 'object' && spec !== null && 'active' in spec && !options.json)
    console.error(
      `note: "active" in the file is not applied by an update; use \`tally spec ${(spec as { active: unknown }).active === false ? 'deactivate' : 'activate'} ${name}\``,
    );
}

/** Turns a specification on or off (`active` in a file given to `update` is kept as it is). */
const toggle =
  (turn: 'activate' | 'deactivate') =>
  async (name: string, options: ApiOptions & { ifMatch?: number; why?: string }): Promise<void> => {
    const path = `/api/specs/${pathSegment(name)}/${turn}`;
    const { body } = await callApi<CommandResult>(options, 'POST', path, {
      ...(options.why === undefined ? {} : { body: { why: options.why } }),
      ...ifMatch(options),
    });
    print(options, body, () => written(`${turn}d ${name}`, body));
  };

async function remove(name: string, options: ApiOptions & { ifMatch?: number }): Promise<void> {
  const path = `/api/specs/${pathSegment(name)}`;
  const { body } = await callApi<CommandResult>(options, 'DELETE', path, ifMatch(options));
  print(options, body, () => written(`removed ${name}`, body));
}

function summary(spec: SpecView): string {
  const last = spec.lastEvaluation
    ? `${spec.lastEvaluation.id} ${spec.lastEvaluation.status}`
    : 'never evaluated';
  return `${spec.name}\t${spec.active ? 'active' : 'inactive'}\t${last}`;
}

async function list(options: ApiOptions): Promise<void> {
  const { body } = await callApi<{ specs: SpecView[] }>(options, 'GET', '/api/specs');
  print(options, body.specs, () =>
    body.specs.length === 0
      ? 'no specifications yet: register one with `tally spec add FILE`'
      : body.specs.map(summary).join('\n'),
  );
}

async function show(name: string, options: ApiOptions): Promise<void> {
  const { body } = await callApi<{ spec: SpecView; jobs: unknown[] }>(
    options,
    'GET',
    `/api/specs/${pathSegment(name)}`,
  );
  print(options, body, () =>
    [
      summary(body.spec),
      `registered ${body.spec.registeredAt}, updated ${body.spec.updatedAt}, ${body.jobs.length} jobs`,
      `revision ${body.spec.revision} (to change it only if nobody has since: --if-match ${body.spec.revision})`,
      JSON.stringify(body.spec.definition, null, 2),
    ].join('\n'),
  );
}

const ifMatchOption = () =>
  new Option(
    '--if-match <revision>',
    'refuse unless the specification is still at this revision (its ETag)',
  ).argParser(revisionOption);

export function registerSpecCommand(program: Command): void {
  const spec = program
    .command('spec')
    .description('specifications (jobsets), through the API of a running server');
  addApiOptions(
    spec
      .command('add')
      .description('register a specification from a JSON file (- for stdin)')
      .argument('<file>'),
  ).action(add);
  addApiOptions(
    spec
      .command('update')
      .description("replace a specification's settings from a JSON file (- for stdin)")
      .argument('<name>')
      .argument('<file>')
      .addOption(ifMatchOption()),
  ).action(update);
  addApiOptions(
    spec.command('rm').description('remove a specification').argument('<name>').addOption(ifMatchOption()),
  ).action(remove);
  for (const [turn, description] of [
    ['activate', 'turn a specification on: it is polled, evaluated and built again'],
    ['deactivate', 'turn a specification off: neither polled nor evaluated until activated'],
  ] as const)
    addApiOptions(
      spec
        .command(turn)
        .description(description)
        .argument('<name>')
        .option('--why <reason>', 'recorded with the change')
        .addOption(ifMatchOption()),
    ).action(toggle(turn));
  addApiOptions(spec.command('list').description('every specification and its last evaluation')).action(list);
  addApiOptions(spec.command('show').description('one specification').argument('<name>')).action(show);
}
