/**
 * The thread that starts child processes for the server (`command-thread.js`). Starting a child
 * blocks the calling thread until the child has exec'd — 7 to 25 ms each on a small virtual
 * machine, measured — so a server that polls, evaluates and builds would stall every request in
 * flight each time. Here the spawn happens on a thread of its own and only messages come back.
 *
 * The thread starts on first use; it keeps the process alive only while a command it started runs.
 */
import { Worker } from 'node:worker_threads';

/** A message from the thread about the job `id`. */
export interface ThreadMessage {
  readonly id: number;
  readonly kind: 'done' | 'spawned' | 'error' | 'data' | 'exit' | 'close' | 'piped';
  readonly [field: string]: unknown;
}

/** Called with each message of a job until it returns true (the job is over). */
type Listener = (message: ThreadMessage) => boolean;

let worker: Worker | undefined;
const listeners = new Map<number, Listener>();
let nextId = 0;

function thread(): Worker {
  if (worker) return worker;
  const started = new Worker(new URL('./command-thread.js', import.meta.url));
  started.on('message', (message: ThreadMessage) => {
    const listener = listeners.get(message.id);
    if (listener?.(message)) listeners.delete(message.id);
    if (listeners.size === 0) started.unref();
  });
  const fail = (error: Error) => {
    if (worker === started) worker = undefined;
    for (const [id, listener] of listeners)
      listener({ id, kind: 'error', message: error.message, lost: true });
    listeners.clear();
  };
  started.on('error', fail);
  started.on('exit', (code) => fail(new Error(`the command thread stopped (exit ${code})`)));
  worker = started;
  return started;
}

/** Sends a job to the thread; `listener` hears about it until it returns true. Returns the job's id. */
export function startJob(job: Record<string, unknown>, listener: Listener): number {
  const running = thread();
  const id = nextId++;
  listeners.set(id, listener);
  running.ref();
  running.postMessage({ ...job, id });
  return id;
}

/** Sends a message about a running job. */
export function tellJob(id: number, message: Record<string, unknown>): void {
  worker?.postMessage({ ...message, id });
}
