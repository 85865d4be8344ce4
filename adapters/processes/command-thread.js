// The thread of `command-thread.ts` (for `exec-thread.ts` and `spawn-thread.ts`): starts the child processes it is sent, so
// that the fork and exec (which libuv waits for synchronously) block this thread rather than the
// server's event loop, and relays what they print and how they end. Plain JavaScript so that it
// starts without a TypeScript loader.
//
// { kind: 'exec', id, file, args, options }  → { id, kind: 'spawned', pid }, { id, kind: 'done', stdout, stderr, error? }
//   (as execFile, in a process group of its own; output as UTF-8; error = { message, code, killed, signal })
// { kind: 'spawn', id, file, args, options } → { id, kind: 'spawned', pid } or { id, kind: 'error', message },
//   then { id, kind: 'data', stream, chunk }…, { id, kind: 'exit', code, signal },
//   { id, kind: 'close', code, signal }   (stdin is never open; with options.holdStdin it is a pipe
//   this process holds and never writes to, which the child reads at end of file once it is gone)
// { kind: 'destroy-stdio', id }              closes the child's pipes on this side (a grandchild
//                                            that keeps them open no longer holds up 'close')
// { kind: 'pipe', id, from, to }             runs `from` (file, args, options) with its stdout piped
//   into `to`'s stdin → { id, kind: 'piped', codes: [from, to], stderr, error? }
// { kind: 'kill', id }                       SIGKILLs a running spawn's or pipe's processes
import { spawn } from 'node:child_process';
import { parentPort } from 'node:worker_threads';

const children = new Map();

// execFile, with a process group of its own (execFile does not pass `detached` on) and its pid
// reported: the caller's time limit kills the whole group, as a worker thread cannot signal processes.
function exec({ id, file, args, options }) {
  const { maxBuffer = 1024 * 1024, killSignal = 'SIGTERM', ...rest } = options;
  const child = spawn(file, args, { ...rest, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: [], stderr: [] };
  let buffered = 0;
  let overflowed = false;
  let spawnError;
  for (const stream of ['stdout', 'stderr']) {
    child[stream].on('data', (chunk) => {
      buffered += chunk.length;
      if (buffered > maxBuffer) {
        if (!overflowed) child.kill(killSignal);
        overflowed = true;
        return;
      }
      output[stream].push(chunk);
    });
  }
  child.on('error', (error) => {
    spawnError = error;
  });
  child.on('close', (code, signal) => {
    const stdout = Buffer.concat(output.stdout).toString('utf8');
    const stderr = Buffer.concat(output.stderr).toString('utf8');
    const failed = spawnError || overflowed || code !== 0;
    const message = spawnError
      ? spawnError.message
      : overflowed
        ? 'stdout or stderr maxBuffer length exceeded'
        : `Command failed: ${file} ${args.join(' ')}\n${stderr}`;
    parentPort.postMessage({
      id,
      kind: 'done',
      stdout,
      stderr,
      ...(failed && {
        error: {
          message,
          code: spawnError?.code ?? code ?? undefined,
          killed: overflowed,
          signal: signal ?? undefined,
        },
      }),
    });
  });
  if (child.pid !== undefined) parentPort.postMessage({ id, kind: 'spawned', pid: child.pid });
}

function start({ id, file, args, options }) {
  const { holdStdin, ...rest } = options;
  const child = spawn(file, args, { ...rest, stdio: [holdStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  // Nothing is written to it; a child that closed its end only breaks a pipe nobody writes to.
  child.stdin?.on('error', () => undefined);
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
