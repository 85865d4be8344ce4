/**
 * Every bench suite, by the name `npm run bench -- <name>` takes. Registering a suite is one line:
 * a lazy import, so running one suite never loads another's dependencies.
 */
import type { BenchSuite } from './harness/types.ts';

export const suites: Readonly<Record<string, () => Promise<BenchSuite>>> = {
  ledger: async () => (await import('./ledger/suite.ts')).ledgerSuite,
  store: async () => (await import('./store/suite.ts')).storeSuite,
};
