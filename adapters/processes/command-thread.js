// The thread of `command-thread.ts` (for `exec-thread.ts` and `spawn-thread.ts`): starts the child processes it is sent, so
// that the fork and exec (which libuv waits for synchronously) block this thread rather than the
// server's event loop, and relays what they print and how they end. Plain JavaScript so that it
// starts without a TypeScript loader.
//
// { kind: 'exec', id, file, args, options }  → { id, kind: 'done', stdout, stderr, error? }
//   (execFile; output as UTF-8; error = { message, code, killed, signal })
// { kind: 'spawn', id, file, args, options } → { id, kind: 'spawned', pid } or { id, kind: 'error', message },
//   then { id, kind: 'data', stream, chunk }…, { id, kind: 'exit', code, signal },
//   { id, kind: 'close', code, signal }   (stdin is never open)
// { kind: 'destroy-stdio', id }              closes the child's pipes on this side (a grandchild
//                                            that keeps them open no longer holds up 'close')
// { kind: 'pipe', id, from, to }             runs `from` (file, args, options) with its stdout piped
//   into `to`'s stdin → { id, kind: 'piped', codes: [from, to], stderr, error? }
// { kind: 'kill', id }                       SIGKILLs a running spawn's or pipe's processes
import { execFile, spawn } from 'node:child_process';
import { parentPort } from 'node:worker_threads';

const children = new Map();

function exec({ id, file, args, options }) {
  execFile(file, args, { ...options, encoding: 'utf8' }, (error, stdout, stderr) => {
    parentPort.postMessage({
      id,
      kind: 'done',
      stdout,
      stderr,
      ...(error && {
        error: {
          message: error.message,
          code: error.code,
          killed: error.killed === true,
          signal: error.signal ?? undefined,
        },
      }),
    });
  });
}

function start({ id, file, args, options }) {
  const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  children.set(id, child);
  if (child.pid !== undefined) parentPort.postMessage({ id, kind: 'spawned', pid: child.pid });
  for (const stream of ['stdout', 'stderr']) {
    child[stream].on('data', (chunk) => {
      const bytes = new Uint8Array(chunk);
      parentPort.postMessage({ id, kind: 'data', stream, chunk: bytes }, [bytes.buffer]);
    });
  }
  child.on('error', (error) => parentPort.postMessage({ id, kind: 'error', message: error.message }));
  child.on('exit', (code, signal) => parentPort.postMessage({ id, kind: 'exit', code, signal }));
  child.on('close', (code, signal) => {
    children.delete(id);
    parentPort.postMessage({ id, kind: 'close', code, signal });
  });
}

function pipe({ id, from, to }) {
  const first = spawn(from.file, from.args, { ...from.options, stdio: ['ignore', 'pipe', 'pipe'] });
  const second = spawn(to.file, to.args, { ...to.options, stdio: ['pipe', 'ignore', 'pipe'] });
  children.set(id, {
    kill: () => {
      for (const child of [first, second]) child.kill('SIGKILL');
    },
  });
  first.stdout.pipe(second.stdin);
  // A reader that ends early only breaks the writer's pipe; the exit codes tell.
  second.stdin.on('error', () => undefined);
  let stderr = '';
  let error;
  const codes = [undefined, undefined];
  for (const [index, child] of [first, second].entries()) {
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-16384);
    });
    child.on('error', (failure) => {
      error ??= `${index === 0 ? from.file : to.file} could not run: ${failure.message}`;
    });
    child.on('close', (code, signal) => {
      codes[index] = code ?? signal;
      if (codes[0] === undefined || codes[1] === undefined) return;
      children.delete(id);
      parentPort.postMessage({ id, kind: 'piped', codes, stderr, ...(error && { error }) });
    });
  }
}

parentPort.on('message', (job) => {
  if (job.kind === 'exec') exec(job);
  else if (job.kind === 'spawn') start(job);
  else if (job.kind === 'pipe') pipe(job);
  else if (job.kind === 'kill') children.get(job.id)?.kill('SIGKILL');
  else if (job.kind === 'destroy-stdio') {
    const child = children.get(job.id);
    child?.stdout.destroy();
    child?.stderr.destroy();
  }
});
