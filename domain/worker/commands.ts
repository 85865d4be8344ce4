/**
 * Commands to a worker stream, from the dispatcher (hello, goodbye, loss) and people (drain, resume, remove).
 */
import type { Actor } from '../shared/metadata.ts';
import type { IsoTime } from '../shared/time.ts';
import type { Capabilities } from './events.ts';

interface Issued {
  readonly at: IsoTime;
  readonly actor: Actor;
  readonly name: string;
}

/** Record a worker's capabilities (nothing if unchanged). */
export interface RegisterWorker extends Issued {
  readonly type: 'RegisterWorker';
  readonly capabilities: Capabilities;
}

export interface ConnectWorker extends Issued {
  readonly type: 'ConnectWorker';
}

export interface DisconnectWorker extends Issued {
  readonly type: 'DisconnectWorker';
}

/** The dispatcher's verdict after missed heartbeats. */
export interface MarkWorkerLost extends Issued {
  readonly type: 'MarkWorkerLost';
  readonly lastSeenAt: IsoTime;
}

export interface DrainWorker extends Issued {
  readonly type: 'DrainWorker';
}

export interface ResumeWorker extends Issued {
  readonly type: 'ResumeWorker';
}

export interface RemoveWorker extends Issued {
  readonly type: 'RemoveWorker';
}

/** Every command a worker stream accepts. */
export type WorkerCommand =
  | RegisterWorker
  | ConnectWorker
  | DisconnectWorker
  | MarkWorkerLost
  | DrainWorker
  | ResumeWorker
  | RemoveWorker;
