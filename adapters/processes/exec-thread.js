// The thread of `exec-thread.ts`: runs each `execFile` it is sent and answers with what the
// command printed, so that the fork and exec (which libuv waits for synchronously) block this
// thread rather than the server's event loop. Plain JavaScript so that it starts without a
// TypeScript loader.
//
// Job:    { id, file, args, options }  (options as execFile takes them, output as UTF-8)
// Answer: { id, stdout, stderr, error?: { message, code, killed, signal } }
import { execFile } from 'node:child_process';
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ id, file, args, options }) => {
  execFile(file, args, { ...options, encoding: 'utf8' }, (error, stdout, stderr) => {
    parentPort.postMessage({
      id,
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
});
