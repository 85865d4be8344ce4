/**
 * How the event commands print: one event per line, for people or as JSON lines for programs, with
 * backpressure so a slow pipe does not buffer a whole store in memory.
 */
import { once } from 'node:events';
import type { RecordedEvent } from '../../adapters/eventstore/event-store.ts';

/** An event as a JSON-ready object (the date as ISO text). */
export function eventAsJson(event: RecordedEvent): Record<string, unknown> {
  return { ...event, created: event.created.toISOString() };
}

const maxDataWidth = 160;

function describeData(event: RecordedEvent): string {
  const problem = event.malformed?.find((p) => p.part === 'data');
  if (problem) return `<${problem.reason} data, ${problem.raw.length} chars>`;
  const text = JSON.stringify(event.data) ?? 'null';
  return text.length > maxDataWidth ? `${text.slice(0, maxDataWidth - 1)}…` : text;
}

/** One line for a person: time, stream@revision, type, position and the data, shortened. */
export function formatEvent(event: RecordedEvent): string {
  const metadataProblem = event.malformed?.some((p) => p.part === 'metadata') ? '  <malformed metadata>' : '';
  return (
    `${event.created.toISOString()}  ${event.streamId}@${event.revision}  ${event.type}  ` +
    `(${event.position})  ${describeData(event)}${metadataProblem}`
  );
}

/** The line for `event` in the chosen format. */
export function eventLine(event: RecordedEvent, json: boolean): string {
  return json ? JSON.stringify(eventAsJson(event)) : formatEvent(event);
}

/**
 * Makes a closed stdout (`tally events show x | head`) end the command quietly with exit code 0, as
 * other Unix tools do, instead of an EPIPE stack trace.
 */
export function exitQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

/** Writes one line to stdout, waiting when the pipe is full. */
export async function writeLine(line: string): Promise<void> {
  if (!process.stdout.write(`${line}\n`)) await once(process.stdout, 'drain');
}
