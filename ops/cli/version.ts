import { readFileSync } from 'node:fs';

/** The version in package.json, which is the version of every Tally process and protocol hello. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
