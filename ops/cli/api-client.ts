/**
 * How the user-facing commands talk to a running server: its HTTP API at `--api` (default
 * `http://127.0.0.1:8080`), writes bearing the token from `--token` or `$TALLY_TOKEN`. A refusal comes
 * back as the server's problem (code and detail) with a hint of what to do next.
 */
import { type Command, Option } from 'commander';
import {
  dataOption,
  integerOption,
  readLedgerEndpoint,
  resolveDataDir,
  serverEndpointPath,
} from './options.ts';

export const defaultApiUrl = 'http://127.0.0.1:8080';

/** The options every API-backed command takes. */
export interface ApiOptions {
  readonly api?: string;
  readonly data?: string;
  readonly token?: string;
  readonly json?: boolean;
  /** Seconds the server has for each answer (`--api-timeout`); absent: each call's own default. */
  readonly apiTimeout?: number;
}

/** Adds `--api`, `--data`, `--token`, `--api-timeout` and `--json` to a command. */
export function addApiOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--api <url>',
        `the Tally server (default: the one serving --data, else ${defaultApiUrl})`,
      ).env('TALLY_API'),
    )
    .addOption(dataOption())
    .addOption(
      new Option('--token <token>', 'bearer token for writes (default: $TALLY_TOKEN)').env('TALLY_TOKEN'),
    )
    .addOption(
      new Option('--api-timeout <seconds>', 'how long the server has to answer (default: 30, 300 for a poll)')
        .env('TALLY_API_TIMEOUT')
        .argParser(integerOption('--api-timeout', { min: 1 })),
    )
    .option('--json', 'print JSON for programs');
}

/** What to do after a refusal, by code, beyond what the server's detail says. */
const hints: Readonly<Record<string, string>> = {
  TALLY_AUTH_MISSING_TOKEN:
    'pass --token TOKEN or set TALLY_TOKEN (the admin token is printed at first start)',
  TALLY_AUTH_BAD_TOKEN: 'check the token, or create one with `tally token create NAME`',
  TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION: 'look at the current state and run the command again',
  TALLY_API_NOT_FOUND: 'is --api pointing at a Tally server of the same version?',
};

/** A problem answered by the server, or a server that could not be reached. */
export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

/**
 * A name or id as one segment of an API path. `.` and `..` name nothing: a URL steps up the path for
 * them, even percent-encoded (`/api/specs/..` is `/api/`), so they are refused here.
 */
export function pathSegment(value: string): string {
  if (value === '.' || value === '..')
    throw new ApiCallError(
      'TALLY_CLI_INVALID_NAME',
      `${value} names nothing: give a name or id as listed by the API`,
    );
  return encodeURIComponent(value);
}

/** `--api` as a base URL that paths are resolved under (a server behind a path prefix keeps it). */
function apiBase(api: string): URL {
  try {
    return new URL(api.endsWith('/') ? api : `${api}/`);
  } catch {
    throw new ApiCallError(
      'TALLY_CLI_INVALID_API_URL',
      `--api ${api} is not a URL: pass the server's address, such as ${defaultApiUrl}`,
    );
  }
}

/**
 * The server the options name: `--api` (or TALLY_API), else the server running for the data directory
 * (`--data` or TALLY_DATA, as `tally serve` announced it), else the default address.
 */
export async function apiUrlOf(options: ApiOptions): Promise<string> {
  if (options.api) return options.api;
  const dataDir = resolveDataDir(options.data);
  return (await readLedgerEndpoint(dataDir, serverEndpointPath(dataDir)))?.url ?? defaultApiUrl;
}

/** How long a call waits for the server's whole answer unless it says otherwise. */
export const apiTimeoutMs = 30_000;

/** Calls the API and returns the parsed JSON body; throws an `ApiCallError` for anything but 2xx. */
export async function callApi<T>(
  options: ApiOptions,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  init: {
    readonly body?: unknown;
    readonly headers?: Record<string, string>;
    /** How long the server has for the whole answer (default `apiTimeoutMs`). */
    readonly timeoutMs?: number;
  } = {},
): Promise<{ body: T; headers: Headers }> {
  const api = await apiUrlOf(options);
  const url = new URL(path.replace(/^\//, ''), apiBase(api));
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const timeoutMs =
    options.apiTimeout !== undefined ? options.apiTimeout * 1000 : (init.timeoutMs ?? apiTimeoutMs);
  const late = (error: unknown) =>
    (error as Error)?.name === 'TimeoutError'
      ? new ApiCallError(
          'TALLY_CLI_API_TIMEOUT',
          `the server at ${api} did not answer ${method} ${url.pathname} within ${timeoutMs / 1000} s: it may be stopped or overloaded; look at its log, then try again (--api-timeout gives it longer)`,
        )
      : undefined;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method,
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    const timedOut = late(error);
    if (timedOut) throw timedOut;
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
    throw new ApiCallError(
      'TALLY_CLI_API_UNREACHABLE',
      `no Tally server answers at ${api} (${cause}): start one with \`tally serve\`, or pass --api URL`,
    );
  }
  const parsed = text === '' ? undefined : safeJson(text);
  if (!response.ok) {
    const problem = (parsed ?? {}) as {
      code?: string;
      detail?: string;
      issues?: { path: string; message: string }[];
    };
    const code = problem.code ?? `TALLY_CLI_HTTP_${response.status}`;
    const issues = (problem.issues ?? [])
      .map((issue) => `\n  ${issue.path || '(root)'}: ${issue.message}`)
      .join('');
    const hint = hints[code] ? `\n  next: ${hints[code]}` : '';
    throw new ApiCallError(
      code,
      `${method} ${url.pathname} refused (HTTP ${response.status}): ${problem.detail ?? (text || response.statusText)}${issues}${hint}`,
      response.status,
    );
  }
  if (text !== '' && parsed === undefined) {
    throw new ApiCallError(
      'TALLY_CLI_NOT_TALLY',
      `${method} ${url.pathname} answered with a body that is not JSON: is --api pointing at a Tally server?`,
      response.status,
    );
  }
  return { body: parsed as T, headers: response.headers };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Prints `value` as JSON for `--json`, else the human lines. */
export function print(options: ApiOptions, value: unknown, human: () => string): void {
  console.log(options.json ? JSON.stringify(value) : human());
}
