/**
 * Reads why `nix-store --realise` failed from the end of its log. The wording is Nix 2.8's; a line
 * we do not recognise is an infrastructure failure that carries the last lines of the log.
 */
import { constants } from 'node:os';
import type { BuildResult } from '../builder.ts';

type Failure = Extract<BuildResult, { ok: false }>;

function signalName(number: number): string {
  const entry = Object.entries(constants.signals).find(([, value]) => value === number);
  return entry ? entry[0] : `signal ${number}`;
}

function errorText(log: string): string {
  const at = log.lastIndexOf('error: ');
  return (at >= 0 ? log.slice(at) : log.split('\n').slice(-5).join('\n')).trim();
}

export function classifyNixFailure(log: string, exitCode: number): Failure {
  const error = errorText(log);
  if (/timed out after \d+ seconds of silence/.test(error)) return { ok: false, reason: 'silent-too-long' };
  if (/timed out after \d+ seconds/.test(error)) return { ok: false, reason: 'timed-out' };
  if (/killed after writing more than \d+ bytes of log output/.test(error))
    return { ok: false, reason: 'log-too-large' };
  const code = /failed with exit code (\d+)/.exec(error);
  if (code) return { ok: false, reason: 'exit-code', exitCode: Number(code[1]) };
  const signal = /failed due to signal (\d+)/.exec(error);
  if (signal) return { ok: false, reason: 'signal', signal: signalName(Number(signal[1])) };
  if (
    /hash mismatch in fixed-output derivation|failed to produce output path|must not reference/.test(error)
  ) {
    return { ok: false, reason: 'output-rejected', detail: error };
  }
  return {
    ok: false,
    reason: 'infrastructure',
    detail: `nix-store --realise exited with ${exitCode}: ${error}`,
  };
}
