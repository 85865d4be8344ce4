/**
 * What a collection needs of a store: every valid path with its references, the pins, and removal
 * in two steps — unregister (durably), then delete content — so that the collection decides the
 * order and a crash between the steps leaves only unregistered leftovers, never a registered path
 * with missing content.
 */

/** What a collection knows of one valid path. */
export interface PathRecord {
  readonly path: string;
  /** Full store paths it refers to (itself included when it refers to itself). */
  readonly references: readonly string[];
  /** Milliseconds since the epoch when the path became valid. */
  readonly registeredAt: number;
  /** What removing it frees, about: the NAR size (the tree) plus the compressed NAR. */
  readonly bytes: number;
  /** `sha256:<nix32>` of its compressed NAR, which may be shared with identical paths. */
  readonly fileHash: string;
}

/** The store as a collection uses it. */
export interface GcStore {
  readonly storeDir: string;
  /** Every valid path. */
  scan(): Promise<PathRecord[]>;
  /** The valid paths registered since the last `scan` or `scanNew` (new paths during a collection). */
  scanNew(): Promise<PathRecord[]>;
  /** Paths pinned by the store's GC root records. */
  pinned(): Promise<string[]>;
  /** True when `path` is valid now. */
  isValid(path: string): Promise<boolean>;
  /**
   * Makes `paths` invalid, all at once and durably so before it resolves: afterwards no reader
   * finds them, though their content may still be on disk. A path that a path registered since the
   * last `scan`/`scanNew` refers to stays valid, with what it refers to among `paths`, so every
   * path still registered has its references registered. Returns the paths made invalid.
   */
  unregister(paths: readonly PathRecord[]): Promise<PathRecord[]>;
  /**
   * Deletes the content (tree, compressed NAR) of paths that are no longer valid; skips any that is
   * valid; idempotent, so it also finishes what a crash interrupted.
   */
  deleteContent(paths: readonly Pick<PathRecord, 'path' | 'fileHash'>[]): Promise<void>;
  /** Reclaims the room the records of removed paths took, when that is worth it. */
  compact(): Promise<void>;
}
