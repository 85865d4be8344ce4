/**
 * Every bench suite, by the name `npm run bench -- <name>` takes. Registering a suite is one line:
 * a lazy import, so running one suite never loads another's dependencies.
 */
import type { BenchSuite } from './harness/types.ts';

export const suites: Readonly<Record<string, () => Promise<BenchSuite>>> = {
  ledger: async () => (await import('./ledger/suite.ts')).ledgerSuite,
  core: async () => (await import('./core/suite.ts')).coreSuite,
  store: async () => (await import('./store/suite.ts')).storeSuite,
  pipeline: async () => (await import('./pipeline/suite.ts')).pipelineSuite,
};
