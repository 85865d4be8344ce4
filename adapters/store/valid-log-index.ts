/**
 * What a process knows of the valid-path log (`valid-log.ts`): the entry of each valid path, the
 * paths that have each compressed NAR, and how many of the log's bytes are still needed. Built by
 * applying the log's entries in order.
 */
import type { AddedEntry, LogEntry } from './valid-log-format.ts';

export interface LogIndex {
  apply(entry: LogEntry): void;
  clear(): void;
  lookup(hashPart: string): AddedEntry | undefined;
  /** The valid entries, in log order. */
  entries(): AddedEntry[];
  /** The valid entries at or after `offset`, in log order (without sorting all of them). */
  entriesFrom(offset: number): AddedEntry[];
  /** A valid entry whose compressed NAR has this file hash (nix32). */
  byFileHash(fileHash: string): AddedEntry | undefined;
  /** How many valid paths have this compressed NAR. */
  fileHashUsers(fileHash: string): number;
  /** Bytes of the entries of valid paths. */
  liveBytes(): number;
}

const usersOf = (users: string | string[] | undefined): string[] =>
  users === undefined ? [] : typeof users === 'string' ? [users] : users;

export function createLogIndex(): LogIndex {
  const byHashPart = new Map<string, AddedEntry>();
  // The valid paths with each compressed NAR: nearly always one, kept as a bare string.
  const fileHashes = new Map<string, string | string[]>();
  let live = 0;

  function forget(hashPart: string): void {
    const entry = byHashPart.get(hashPart);
    if (!entry) return;
    byHashPart.delete(hashPart);
    live -= entry.end - entry.offset;
    const before = fileHashes.get(entry.fileHash);
    if (typeof before === 'string' || before === undefined) {
      fileHashes.delete(entry.fileHash);
      return;
    }
    const users = before.filter((user) => user !== hashPart);
    fileHashes.set(entry.fileHash, users.length === 1 ? users[0]! : users);
  }

  return {
    apply(entry) {
      if (entry.kind === 'remove') {
        for (const hashPart of entry.hashParts) forget(hashPart);
        return;
      }
      const { hashPart, fileHash } = entry;
      forget(hashPart);
      byHashPart.set(hashPart, entry);
      live += entry.end - entry.offset;
      const users = fileHashes.get(fileHash);
      fileHashes.set(fileHash, users === undefined ? hashPart : [...usersOf(users), hashPart]);
    },
    clear() {
      byHashPart.clear();
      fileHashes.clear();
      live = 0;
    },
    lookup: (hashPart) => byHashPart.get(hashPart),
    entries: () => [...byHashPart.values()].sort((a, b) => a.offset - b.offset),
    entriesFrom(offset) {
      const found: AddedEntry[] = [];
      for (const entry of byHashPart.values()) if (entry.offset >= offset) found.push(entry);
      return found.sort((a, b) => a.offset - b.offset);
    },
    byFileHash(fileHash) {
      const user = usersOf(fileHashes.get(fileHash))[0];
      return user === undefined ? undefined : byHashPart.get(user);
    },
    fileHashUsers: (fileHash) => usersOf(fileHashes.get(fileHash)).length,
    liveBytes: () => live,
  };
}
