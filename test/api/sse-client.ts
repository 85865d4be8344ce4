/**
 * A minimal Server-Sent-Events reader for tests: fetches a feed, parses its frames as the WHATWG
 * spec does (fields, comments, blank-line dispatch), and hands out the events one at a time.
 */

/** One dispatched frame; `event` and `data` are absent for bare `id:` frames. */
export interface SseFrame {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  readonly comments: readonly string[];
}

export interface SseClient {
  readonly response: Response;
  /** The next frame that carries data (an event), waiting for it. */
  nextEvent(): Promise<SseFrame>;
  /** The next frame (after those already handed out) for which `wanted` holds, waiting for it. */
  next(wanted: (frame: SseFrame) => boolean): Promise<SseFrame>;
  /** Resolves when the server ends the response. */
  ended(): Promise<void>;
  /** Every frame seen so far, comments and bare ids included. */
  readonly frames: readonly SseFrame[];
  close(): void;
}

export function parseFrame(block: string): SseFrame {
  const fields: { id?: string; event?: string; data?: string[] } = {};
  const comments: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'id') fields.id = value;
    else if (name === 'event') fields.event = value;
    else if (name === 'data') fields.data = [...(fields.data ?? []), value];
  }
  return {
    ...(fields.id !== undefined ? { id: fields.id } : {}),
    ...(fields.event !== undefined ? { event: fields.event } : {}),
    ...(fields.data ? { data: fields.data.join('\n') } : {}),
    comments,
  };
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const frames: SseFrame[] = [];
  let cursor = 0;
  const wakers = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of wakers) wake();
    wakers.clear();
  };
  const changed = () => new Promise<void>((resolve) => wakers.add(resolve));
  let failure: unknown;
  let ended = false;

  void (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true }).replaceAll('\r\n', '\n');
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const frame = parseFrame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          frames.push(frame);
          end = buffer.indexOf('\n\n');
        }
        wakeAll();
      }
    } catch (error) {
      if (!controller.signal.aborted) failure = error;
    } finally {
      ended = true;
      wakeAll();
    }
  })();

  async function next(wanted: (frame: SseFrame) => boolean): Promise<SseFrame> {
    for (;;) {
      while (cursor < frames.length) {
        const frame = frames[cursor++]!;
        if (wanted(frame)) return frame;
      }
      if (failure) throw failure;
      if (ended) throw new Error('the feed ended');
      await changed();
    }
  }

  return {
    response,
    frames,
    next,
    nextEvent: () => next((frame) => frame.data !== undefined),
    async ended() {
      while (!ended) await changed();
    },
    close: () => controller.abort(),
  };
}
