/**
 * The API's bearer tokens, kept in `<data>/tokens.json` (mode 0600) as SHA-256 hashes with the name
 * of the user each one authenticates (`user:NAME`) and its creation time. A plaintext token exists
 * only in the answer of `createToken`; it is never stored or logged.
 *
 * The file is re-read when it changes, so `tally token create|revoke` takes effect in a running
 * server; every change is written to a temporary file and renamed over it, so a reader never sees
 * half a file.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A stored token, as `listTokens` reports it (no hash). */
export interface TokenInfo {
  /** The user's name; the actor is `user:<name>`. */
  readonly name: string;
  /** ISO 8601 time of creation. */
  readonly created: string;
}

interface TokenRecord extends TokenInfo {
  /** Hex SHA-256 of the token. */
  readonly hash: string;
}

interface TokenFile {
  readonly version: 1;
  readonly tokens: readonly TokenRecord[];
}

/** Why a token operation was refused; `status` lets the API's error handler map it. */
export class TokenStoreError extends Error {
  readonly status: number;

  constructor(
    readonly code: 'TALLY_AUTH_INVALID_NAME' | 'TALLY_AUTH_TOKEN_EXISTS' | 'TALLY_AUTH_TOKEN_NOT_FOUND',
    message: string,
  ) {
    super(message);
    this.name = 'TokenStoreError';
    this.status = code === 'TALLY_AUTH_INVALID_NAME' ? 400 : code === 'TALLY_AUTH_TOKEN_EXISTS' ? 409 : 404;
  }
}

export interface TokenStore {
  /** Creates a token for `name` and returns it: the only time the plaintext exists. */
  createToken(name: string): Promise<string>;
  /** Removes `name`'s token; requests bearing it are refused from then on. */
  revokeToken(name: string): Promise<void>;
  /** Every token's name and creation time, oldest first. */
  listTokens(): Promise<readonly TokenInfo[]>;
  /** The actor (`user:NAME`) a presented token authenticates, or `undefined`. Constant-time per entry. */
  verify(token: string): Promise<string | undefined>;
  /**
   * At first start (no token file yet): creates a token for `name` and returns it so the server can
   * print it once. Afterwards: `undefined`, even if every token was revoked since.
   */
  createFirstToken(name?: string): Promise<string | undefined>;
  /**
   * Takes back a first token that was never printed (the start that made it failed): the file goes
   * when it holds that token alone, so that the next start makes and prints the first token again.
   */
  withdrawFirstToken(name: string): Promise<void>;
}

export const tokenFileName = 'tokens.json';
const namePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

function parseTokenFile(text: string, path: string): TokenFile {
  const damaged = () =>
    Object.assign(
      new Error(
        `${path} is not a Tally token file: restore it from a backup, or move it away and make tokens again with \`tally token create\``,
      ),
      { code: 'TALLY_AUTH_TOKEN_FILE_INVALID' },
    );
  let parsed: Partial<TokenFile>;
  try {
    parsed = JSON.parse(text) as Partial<TokenFile>;
  } catch {
    throw damaged();
  }
  const valid =
    typeof parsed === 'object' &&
    parsed !== null &&
    parsed.version === 1 &&
    Array.isArray(parsed.tokens) &&
    parsed.tokens.every(
      (t) => typeof t?.name === 'string' && typeof t.created === 'string' && /^[0-9a-f]{64}$/.test(t.hash),
    );
  if (!valid) throw damaged();
  return parsed as TokenFile;
}

/** The token store of the data directory `dataDir` (created on first write). */
export function openTokenStore(dataDir: string, now: () => Date = () => new Date()): TokenStore {
  const path = join(dataDir, tokenFileName);
  let cached: { ino: number; mtimeMs: number; size: number; file: TokenFile } | undefined;
  let writing: Promise<unknown> = Promise.resolve();

  async function load(): Promise<TokenFile | undefined> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const same =
      cached && cached.ino === info.ino && cached.mtimeMs === info.mtimeMs && cached.size === info.size;
    if (same && cached) return cached.file;
    const file = parseTokenFile(await readFile(path, 'utf8'), path);
    cached = { ino: info.ino, mtimeMs: info.mtimeMs, size: info.size, file };
    return file;
  }

  async function save(tokens: readonly TokenRecord[]): Promise<void> {
    await mkdir(dataDir, { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ version: 1, tokens }, null, 2)}\n`, { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
    cached = undefined;
  }

  /** Runs changes one at a time so two in one process never lose each other's writes. */
  function change<T>(work: (tokens: readonly TokenRecord[]) => Promise<T>): Promise<T> {
    const result = writing.then(async () => work((await load())?.tokens ?? []));
    writing = result.catch(() => undefined);
    return result;
  }

  async function create(name: string, tokens: readonly TokenRecord[]): Promise<string> {
    if (!namePattern.test(name)) {
      throw new TokenStoreError(
        'TALLY_AUTH_INVALID_NAME',
        `a token name is 1 to 64 letters, digits, '.', '_' or '-' (starting with a letter or digit), not ${JSON.stringify(name)}`,
      );
    }
    if (tokens.some((t) => t.name === name)) {
      throw new TokenStoreError('TALLY_AUTH_TOKEN_EXISTS', `${name} already has a token: revoke it first`);
    }
    const token = `tally_${randomBytes(32).toString('base64url')}`;
    const record = { name, created: now().toISOString(), hash: sha256(token).toString('hex') };
    await save([...tokens, record]);
    return token;
  }

  return {
    createToken: (name) => change((tokens) => create(name, tokens)),
    revokeToken: (name) =>
      change(async (tokens) => {
        if (!tokens.some((t) => t.name === name)) {
          throw new TokenStoreError(
            'TALLY_AUTH_TOKEN_NOT_FOUND',
            `user:${name} has no token: \`tally token list\` shows who has one`,
          );
        }
        await save(tokens.filter((t) => t.name !== name));
      }),
    async listTokens() {
      return ((await load())?.tokens ?? []).map(({ name, created }) => ({ name, created }));
    },
    async verify(token) {
      const presented = sha256(token);
      let actor: string | undefined;
      // Compare with every entry, whatever matched, so timing says nothing about which one did.
      for (const record of (await load())?.tokens ?? []) {
        const matches = timingSafeEqual(presented, Buffer.from(record.hash, 'hex'));
        if (matches && actor === undefined) actor = `user:${record.name}`;
      }
      return actor;
    },
    createFirstToken: (name = 'admin') =>
      change(async (tokens) => ((await load()) === undefined ? create(name, tokens) : undefined)),
    withdrawFirstToken: (name) =>
      change(async (tokens) => {
        if (tokens.length === 1 && tokens[0]!.name === name) {
          await rm(path, { force: true });
          cached = undefined;
        } else if (tokens.some((t) => t.name === name)) await save(tokens.filter((t) => t.name !== name));
      }),
  };
}
