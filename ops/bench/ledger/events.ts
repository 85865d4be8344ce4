/**
 * Realistic event payloads for the ledger workloads, shared with the PostgreSQL baseline so both
 * store the same bytes: ~200-byte JSON objects shaped like the build farm's own events, on streams
 * named like its aggregates (`build-<hash>`, `eval-<n>`).
 */
import { createHash } from 'node:crypto';

/** The data of one generated event (a type alias, not an interface, so it is assignable to the client's JSON type). */
export type JobEventData = {
  readonly evaluation: number;
  readonly job: string;
  readonly drvPath: string;
  readonly system: string;
  readonly outputs: string[];
  readonly priority: number;
  readonly attempt: number;
};

/** Hashes are costly enough to skew a load generator at 100k events/s: compute a pool once, then cycle. */
const hashes = Array.from({ length: 4096 }, (_, index) =>
  createHash('sha256').update(`tally-bench-${index}`).digest('hex').slice(0, 32),
);
const packages = ['hello-2.12.1', 'coreutils-9.5', 'openssl-3.3.2', 'python3-3.12.7', 'gcc-14.2.0'];
const systems = ['x86_64-linux', 'aarch64-linux'];

const hashAt = (index: number) => hashes[index % hashes.length]!;

export function buildStream(index: number): string {
  return `build-${hashAt(index)}`;
}

export function evalStream(index: number): string {
  return `eval-${index}`;
}

/** The `index`-th event of a workload: a job discovered by an evaluation, about 200 bytes of JSON. */
export function jobEvent(evaluation: number, index: number): { type: string; data: JobEventData } {
  const pkg = packages[index % packages.length]!;
  return {
    type: 'JobDiscovered',
    data: {
      evaluation,
      job: `${pkg}.${systems[index % systems.length]}`,
      drvPath: `/nix/store/${hashAt(index * 7 + evaluation)}-${pkg}.drv`,
      system: systems[index % systems.length]!,
      outputs: ['out', 'dev'],
      priority: 100,
      attempt: 1,
    },
  };
}
