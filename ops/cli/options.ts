/**
 * Options shared by the commands that use the data directory or an event store: where the data
 * directory is, where the local ledger announces itself, and which event store URL a command reads.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { isTaggedOwnerRunning, ownerTag } from '../../adapters/processes/process-start.ts';
import { CliError } from './cli-error.ts';

/** EventStoreDB's port, and so the ledger's. */
export const defaultLedgerPort = 2113;

/** The data directory: `--data`, else `$TALLY_DATA`, else `.tally/` in the working directory; absolute. */
export function resolveDataDir(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(option || env.TALLY_DATA || '.tally');
}

/** What a running ledger writes to `<data>/ledger.json` so other commands can find it. */
export interface LedgerEndpoint {
  readonly url: string;
  readonly pid: number;
  /** That process's pid, start and pid namespace (`ownerTag`), to tell it from a later one with the same pid. */
  readonly owner?: string;
}

export const ledgerEndpointPath = (dataDir: string): string => join(dataDir, 'ledger.json');
/** Where a running `tally serve` announces its API, so that `--data` finds it for the API's commands. */
export const serverEndpointPath = (dataDir: string): string => join(dataDir, 'server.json');

export async function writeLedgerEndpoint(
  dataDir: string,
  endpoint: LedgerEndpoint,
  path = ledgerEndpointPath(dataDir),
): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const owner = endpoint.pid === process.pid ? { owner: ownerTag() } : {};
  await writeFile(path, `${JSON.stringify({ ...endpoint, ...owner })}\n`);
}

export async function removeLedgerEndpoint(
  dataDir: string,
  path = ledgerEndpointPath(dataDir),
): Promise<void> {
  await rm(path, { force: true });
}

/**
 * The endpoint of the ledger running for `dataDir`; `undefined` when none is announced, the file does
 * not parse, or the process that wrote it is gone (a ledger killed without a clean stop).
 */
export async function readLedgerEndpoint(
  dataDir: string,
  path = ledgerEndpointPath(dataDir),
): Promise<LedgerEndpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LedgerEndpoint>;
    if (typeof parsed.url !== 'string' || typeof parsed.pid !== 'number') return undefined;
    // A writer in another pid namespace cannot be seen from here: its announcement stands (a call to a
    // server that is gone then says so itself).
    const tag = typeof parsed.owner === 'string' ? parsed.owner : String(parsed.pid);
    return (isTaggedOwnerRunning(tag) ?? true) ? { url: parsed.url, pid: parsed.pid } : undefined;
  } catch {
    return undefined;
  }
}

export interface EventStoreOptions {
  readonly eventstore?: string;
  readonly data?: string;
}

/** The event store a command reads: `--eventstore`, else the local ledger of the data directory. */
export async function resolveEventStoreUrl(options: EventStoreOptions): Promise<string> {
  if (options.eventstore) return options.eventstore;
  const dataDir = resolveDataDir(options.data);
  const endpoint = await readLedgerEndpoint(dataDir);
  if (endpoint) return endpoint.url;
  throw new CliError(
    'TALLY_CLI_NO_LEDGER',
    `no ledger is running for ${dataDir}: start one with \`tally ledger serve --data ${dataDir}\` (or \`tally serve\`), ` +
      'or pass --eventstore esdb://HOST:PORT?tls=false',
  );
}

/**
 * The store's state directory in `dataDir`, which a server made: a mistyped --data must not pass for
 * an empty store, nor leave a new one behind.
 */
export function existingStoreState(dataDir: string): string {
  const stateDir = join(dataDir, 'store');
  if (!existsSync(stateDir))
    throw new CliError(
      'TALLY_CLI_NO_STORE',
      `${dataDir} holds no store: check --data (or TALLY_DATA); a store is made by the first \`tally serve\``,
    );
  return stateDir;
}

/** Adds `--eventstore` and `--data` to a command that reads events. */
export function addEventStoreOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--eventstore <url>', 'EventStoreDB-compatible store to read (default: the local ledger)'),
    )
    .addOption(dataOption());
}

/** `--data DIR`, documented the same way everywhere. */
export function dataOption(): Option {
  return new Option('--data <dir>', 'data directory (default: $TALLY_DATA, else .tally/)');
}

/** A commander parser for an integer option from `min` (default 0) to `max`. */
export function integerOption(name: string, bounds: { readonly min?: number; readonly max?: number } = {}) {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = bounds;
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be a whole number ${range}.`);
    }
    return parsed;
  };
}

/** A TCP port to listen on; 0 lets the system choose one. */
export const portOption = (name: string) => integerOption(name, { max: 65535 });
