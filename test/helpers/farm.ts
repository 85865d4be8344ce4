/**
 * A whole farm for end-to-end tests: the real `tally serve` process (embedded ledger, coordinator,
 * local workers, API) on free ports, and a watcher that follows its events so that tests wait on
 * facts ("this build succeeded") rather than on time.
 */
import type { ChildProcess } from 'node:child_process';
import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore, RecordedEvent } from '../../adapters/eventstore/event-store.ts';
import { finished, lineMatching, startTally } from './tally-process.ts';

export interface RunningFarm {
  readonly child: ChildProcess;
  readonly api: string;
  readonly eventstore: string;
  /** The admin token printed at the first start of a data directory. */
  readonly token?: string;
  readonly events: EventWatcher;
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no clean-up at all, as a crash. */
  kill(): Promise<void>;
  /** Everything the process wrote so far on stderr. */
  stderr(): string;
  /** Everything the process wrote so far on stdout (its log, a JSON object a line). */
  stdout(): string;
}

export interface EventWatcher {
  /** Every event seen so far, in `$all` order. */
  readonly seen: readonly RecordedEvent[];
  /** Resolves with the first event (seen already or to come) that satisfies `match`. */
  waitFor(
    match: (event: RecordedEvent) => boolean,
    timeoutMs?: number,
    what?: string,
  ): Promise<RecordedEvent>;
  /** Resolves once every event the store holds now has been seen. */
  caughtUp(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function watchEvents(url: string): Promise<EventWatcher> {
  const store: EventStore = await connectEventStore(url);
  const seen: RecordedEvent[] = [];
  const waiters = new Set<{
    match: (event: RecordedEvent) => boolean;
    resolve: (event: RecordedEvent) => void;
  }>();
  const subscription = store.subscribeToAll({ from: 'start' });
  const following = (async () => {
    try {
      for await (const message of subscription) {
        if (message.kind !== 'event') continue;
        seen.push(message.event);
        for (const waiter of waiters) {
          if (waiter.match(message.event)) {
            waiters.delete(waiter);
            waiter.resolve(message.event);
          }
        }
      }
    } catch {
      // The farm went away (killed by the test): the events seen stay readable.
    }
  })();
  await subscription.started();
  const watcher: EventWatcher = {
    seen,
    waitFor(match, timeoutMs = 30_000, what = 'an event') {
      const already = seen.find(match);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const tail = seen
            .slice(-15)
            .map((event) => `${event.streamId} ${event.type} ${JSON.stringify(event.data).slice(0, 160)}`);
          reject(new Error(`no ${what} within ${timeoutMs} ms; the last events:\n  ${tail.join('\n  ')}`));
        }, timeoutMs);
        const waiter = {
          match,
          resolve: (event: RecordedEvent) => {
            clearTimeout(timer);
            resolve(event);
          },
        };
        waiters.add(waiter);
      });
    },
    async caughtUp(timeoutMs = 10_000) {
      let head = -1;
      for await (const event of store.readAll({ direction: 'backwards', limit: 1 })) head = event.position;
      if (head < 0) return;
      await watcher.waitFor((event) => event.position >= head, timeoutMs, `the event at position ${head}`);
    },
    async close() {
      await subscription.cancel().catch(() => {});
      await following;
      await store.close().catch(() => {});
    },
  };
  return watcher;
}

/** Starts `tally serve` on `dataDir` with free ports and the given extra arguments. */
export async function startFarm(
  dataDir: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<RunningFarm> {
  const child = startTally(['serve', '--data', dataDir, '--ledger-port', '0', '--port', '0', ...args], {
    NIX_CONFIG: 'sandbox = false',
    ...env,
  });
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  const done = finished(child);
  const started = lineMatching(child, (line) => line.includes('tally server started'));
  const exited = done.then((result) => {
    throw new Error(`tally serve exited (${result.code ?? result.signal}) before starting:\n${stderr}`);
  });
  const { eventstore, api } = JSON.parse(await Promise.race([started, exited])) as {
    eventstore: string;
    api: string;
  };
  while (!stderr.includes('Tally is running')) await new Promise((resolve) => setTimeout(resolve, 20));
  const token = /admin token: (\S+)/.exec(stderr)?.[1];
  const events = await watchEvents(eventstore);
  return {
    child,
    api,
    eventstore,
    ...(token ? { token } : {}),
    events,
    async stop() {
      await events.close();
      child.kill('SIGTERM');
      return (await done).code;
    },
    async kill() {
      child.kill('SIGKILL');
      await done;
      await events.close();
    },
    stderr: () => stderr,
    stdout: () => stdout,
  };
}

/** The data of an event as an object (tests read fields of it). */
export function dataOf(event: RecordedEvent): Record<string, unknown> {
  return event.data as Record<string, unknown>;
}
