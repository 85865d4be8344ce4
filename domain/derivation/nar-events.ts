/**
 * A NAR (Nix ARchive) as a stream of events, shared by the serializer (which takes them) and the
 * parser (which yields them): nodes in depth-first order, directory entries sorted by the bytes of
 * their names, file contents in chunks so that no file is ever held whole.
 *
 * Wire format (Nix's `archive.cc`): every string is a little-endian u64 length, the bytes, and zero
 * padding to a multiple of 8; `"nix-archive-1"` then one node:
 * `( type regular [executable ""] contents <bytes> )`, `( type symlink target <t> )` or
 * `( type directory { entry ( name <n> node <node> ) }* )`.
 */
import { compareBytes, decodeUtf8, utf8 } from './bytes.ts';

/** Names from the root: `[]` is the root itself, `['bin', 'hello']` is `bin/hello`. */
export type NarPath = readonly string[];

export type NarEvent =
  /** A directory starts; its entries follow, then its `directory-end`. */
  | { readonly type: 'directory'; readonly path: NarPath }
  /** The directory at `path` has no more entries. */
  | { readonly type: 'directory-end'; readonly path: NarPath }
  /** A regular file of `size` bytes; `contents` events carrying exactly `size` bytes follow. */
  | { readonly type: 'file'; readonly path: NarPath; readonly executable: boolean; readonly size: number }
  /** A piece of the current file's contents. */
  | { readonly type: 'contents'; readonly path: NarPath; readonly chunk: Uint8Array }
  /** A symbolic link. */
  | { readonly type: 'symlink'; readonly path: NarPath; readonly target: string };

export const narMagic = 'nix-archive-1';

/** Linux's NAME_MAX: longer names cannot be restored. */
export const maxNameBytes = 255;

/** Linux's PATH_MAX less the NUL. */
export const maxTargetBytes = 4095;

/** Default limit on directory nesting. */
export const defaultMaxDepth = 2048;

/** Why a directory entry name cannot be in a NAR, or undefined when it can. */
export function nameProblem(name: Uint8Array): string | undefined {
  if (name.length === 0) return 'an empty name';
  if (name.length > maxNameBytes) return `a name longer than ${maxNameBytes} bytes`;
  if (name.length <= 2 && name.every((byte) => byte === 0x2e)) return `the name '${'.'.repeat(name.length)}'`;
  if (name.includes(0x2f)) return 'a name containing /';
  if (name.includes(0)) return 'a name containing NUL';
  if (decodeUtf8(name) === undefined) return 'a name that is not valid UTF-8';
  return undefined;
}

/** Why a symlink target cannot be in a NAR, or undefined when it can. */
export function targetProblem(target: Uint8Array): string | undefined {
  if (target.length === 0) return 'an empty symlink target';
  if (target.length > maxTargetBytes) return `a symlink target longer than ${maxTargetBytes} bytes`;
  if (target.includes(0)) return 'a symlink target containing NUL';
  if (decodeUtf8(target) === undefined) return 'a symlink target that is not valid UTF-8';
  return undefined;
}

/** Orders entry names as NARs require: by their UTF-8 bytes. */
export function compareNarNames(a: string, b: string): number {
  return compareBytes(utf8(a), utf8(b));
}
