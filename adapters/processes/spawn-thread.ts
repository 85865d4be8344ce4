/**
 * A long-running child started off the event loop (see `command-thread.ts`): a builder, an
 * evaluator. It looks like the part of `ChildProcess` the farm uses — `stdout` and `stderr` streams,
 * `error`, `exit` and `close` events — plus `killGroup`, which signals the child's process group
 * from here (a signal asked for before the child has started is sent as soon as it has).
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { startJob, tellJob } from './command-thread.ts';
import { diesWithServer, whyNotExecutable } from './dies-with-server.ts';

export interface SpawnOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Its own process group (what `killGroup` signals). */
  readonly detached?: boolean;
  /**
   * Its process group is killed when this process dies, even by SIGKILL (`dies-with-server.ts`);
   * needs `detached`.
   */
  readonly diesWithServer?: boolean;
}

export interface ThreadChild extends EventEmitter {
  /** Known once it has started (the `spawn` event). */
  readonly pid: number | undefined;
  readonly stdout: PassThrough;
  readonly stderr: PassThrough;
  /** Signals the child's process group; no error if it is gone. */
  killGroup(signal: NodeJS.Signals): void;
  /** Ends `stdout` and `stderr` here and closes the pipes (a grandchild may hold them open). */
  destroyStdio(): void;
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/** Starts `file` with `args` (stdin closed, stdout and stderr piped) on the command thread. */
export function spawnOffThread(file: string, args: readonly string[], options: SpawnOptions): ThreadChild {
  const child = new EventEmitter() as ThreadChild & { pid: number | undefined };
  const streams = { stdout: new PassThrough(), stderr: new PassThrough() };
  let early: NodeJS.Signals | undefined;
  child.pid = undefined;
  Object.assign(child, streams);
  const end = () => {
    streams.stdout.end();
    streams.stderr.end();
  };
  const { diesWithServer: watched, ...spawnOptions } = options;
  const cannot = watched ? whyNotExecutable(file, options.env ?? process.env) : undefined;
  if (cannot !== undefined) {
    // As a failed spawn ends: an error, then the streams closed, on a later turn.
    setImmediate(() => {
      child.emit('error', Object.assign(new Error(cannot), { code: cannot.split(' ').pop() }));
      end();
      child.emit('close', null, null);
    });
    return Object.assign(child, { killGroup: () => undefined, destroyStdio: end });
  }
  const command = watched ? diesWithServer(file, args) : { file, args: [...args] };
  // The thread's own process.env is a copy made when it started: pass this thread's, as it is now.
  const withEnv = { ...spawnOptions, env: options.env ?? process.env, holdStdin: watched === true };
  const id = startJob({ kind: 'spawn', ...command, options: withEnv }, (message) => {
    switch (message.kind) {
      case 'spawned':
        child.pid = message.pid as number;
        child.emit('spawn');
        if (early) signalGroup(child.pid, early);
        return false;
      case 'data': {
        // Bytes already on their way when `destroyStdio` ended the stream are dropped, not an error.
        const stream = streams[message.stream as 'stdout' | 'stderr'];
        if (!stream.writableEnded) stream.write(Buffer.from(message.chunk as Uint8Array));
        return false;
      }
      case 'error':
        child.emit('error', new Error(String(message.message)));
        if (!message.lost) return false;
        end();
        child.emit('close', null, null);
        return true;
      case 'exit':
        child.emit('exit', message.code, message.signal);
        return false;
      case 'close':
        end();
        child.emit('close', message.code, message.signal);
        return true;
      default:
        return false;
    }
  });
  child.killGroup = (signal) => {
    if (child.pid === undefined) early = signal;
    else signalGroup(child.pid, signal);
  };
  child.destroyStdio = () => {
    end();
    tellJob(id, { kind: 'destroy-stdio' });
  };
  return child;
}
