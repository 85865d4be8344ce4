/**
 * The ways to name a build: the integer id the builds read model gives it (the `id` of its JSON,
 * Hydra's build number), the hash part of its derivation, or the derivation's path. The API's build
 * routes and the CLI read a key here, so each accepts the same three.
 */
import { drvHashPart } from '../../domain/shared/streams.ts';

/** A build named by its integer id, or by its derivation's hash part (its stream is `build-<hash>`). */
export type BuildKey = { readonly id: number } | { readonly hash: string };

// Ids have at most 16 digits and hash parts exactly 32 characters, so no key reads as both.
const integerId = /^[1-9][0-9]{0,15}$/;
const nix32Hash = /^[0-9abcdfghijklmnpqrsvwxyz]{32}$/;

/**
 * The build `key` names: an integer id (number or decimal string), a hash part, or a `.drv` path (or
 * its file name); undefined for anything else.
 */
export function parseBuildKey(key: number | string): BuildKey | undefined {
  const text = String(key);
  if (integerId.test(text)) return { id: Number(text) };
  const hash = text.includes('/') || text.endsWith('.drv') ? drvHashPart(text) : text;
  return hash !== undefined && nix32Hash.test(hash) ? { hash } : undefined;
}
