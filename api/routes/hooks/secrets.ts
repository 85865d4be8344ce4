/**
 * Webhook secrets, one per specification, in `<data>/hook-secrets.json` (mode 0600). They are never
 * events: events are kept for ever and readable by anyone who may read the farm's history.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface HookSecrets {
  /** The secret of a specification, or undefined. Read on every call: a new secret needs no restart. */
  get(spec: string): Promise<string | undefined>;
  /** Makes (or replaces) a specification's secret and returns it. */
  create(spec: string): Promise<string>;
}

export function openHookSecrets(dataDir: string): HookSecrets {
  const file = join(dataDir, 'hook-secrets.json');
  const readAll = async (): Promise<Record<string, string>> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const valid =
      typeof parsed === 'object' &&
      parsed !== null &&
      !Array.isArray(parsed) &&
      Object.values(parsed).every((secret) => typeof secret === 'string');
    if (!valid)
      throw Object.assign(
        new Error(
          `${file} is not a Tally webhook secrets file: restore it from a backup, or move it away and make each secret again with \`tally hook secret SPEC\``,
        ),
        { code: 'TALLY_HOOK_SECRETS_FILE_INVALID' },
      );
    return parsed as Record<string, string>;
  };
  return {
    async get(spec) {
      const secrets = await readAll();
      return Object.hasOwn(secrets, spec) ? secrets[spec] : undefined;
    },
    async create(spec) {
      const secrets = await readAll();
      const secret = randomBytes(32).toString('hex');
      // Defined, not assigned: whatever the name, it is a member of its own, never the prototype.
      Object.defineProperty(secrets, spec, {
        value: secret,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      await mkdir(dataDir, { recursive: true });
      const temp = `${file}.tmp`;
      await writeFile(temp, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
      await chmod(temp, 0o600);
      await rename(temp, file);
      return secret;
    },
  };
}
