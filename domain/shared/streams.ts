/**
 * Stream names: one stream per aggregate instance, `<category>-<id>`. The category never contains
 * `-`, so a name splits back at its first `-` even when the id has dashes (`spec-guix-master`).
 */

/** The categories of streams, one per aggregate. */
export type StreamCategory = 'spec' | 'checkout' | 'eval' | 'build' | 'worker' | 'gc' | 'notification';

export const streamCategories: readonly StreamCategory[] = [
  'spec',
  'checkout',
  'eval',
  'build',
  'worker',
  'gc',
  'notification',
];

/** A stream name split into its category and the aggregate's id. */
export interface StreamName {
  readonly category: StreamCategory;
  readonly id: string;
}

const nix32Hash = /^[0-9abcdfghijklmnpqrsvwxyz]{32}$/;

/**
 * The hash part of a derivation path (`/nix/store/<hash>-hello.drv` → `<hash>`), or `undefined`
 * when the path does not end in a store entry with a 32-character Nix base-32 hash.
 */
export function drvHashPart(drvPath: string): string | undefined {
  const base = drvPath.slice(drvPath.lastIndexOf('/') + 1);
  const hash = base.slice(0, 32);
  return nix32Hash.test(hash) && base[32] === '-' && base.endsWith('.drv') ? hash : undefined;
}

function named(category: StreamCategory, id: string): string {
  if (id === '') throw new Error(`empty id for a ${category} stream`);
  return `${category}-${id}`;
}

/** Stream name builders, one per category. */
export const streams = {
  /** The specification (jobset) named `name`. */
  spec: (name: string) => named('spec', name),
  /** The checkouts (commits seen) of the specification named `spec`. */
  checkout: (spec: string) => named('checkout', spec),
  /** One evaluation. */
  evaluation: (evaluationId: string) => named('eval', evaluationId),
  /** The build of one derivation, global across specifications. */
  build: (drvPath: string) => {
    const hash = drvHashPart(drvPath);
    if (!hash) throw new Error(`not a derivation path: ${drvPath}`);
    return named('build', hash);
  },
  worker: (name: string) => named('worker', name),
  gc: (gcId: string) => named('gc', gcId),
  notification: (notificationId: string) => named('notification', notificationId),
} as const;

/** Splits a stream name, or `undefined` for names of no Tally category (`$ce-build`, `other-1`). */
export function parseStreamName(stream: string): StreamName | undefined {
  const dash = stream.indexOf('-');
  if (dash <= 0 || dash === stream.length - 1) return undefined;
  const category = stream.slice(0, dash);
  if (!(streamCategories as readonly string[]).includes(category)) return undefined;
  return { category: category as StreamCategory, id: stream.slice(dash + 1) };
}
