/**
 * The embedded ledger: a durable single-node event store that serves EventStoreDB's gRPC Streams
 * protocol, so the official `@eventstore/db-client` talks to it exactly as to EventStoreDB.
 */
export { type LedgerOptions, type RunningLedger, startLedger } from './server.ts';
export { startLedgerThread, type ThreadLedger } from './thread.ts';
