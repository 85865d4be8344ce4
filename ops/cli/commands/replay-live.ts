/**
 * Before `tally replay --verify` compares: a server running on the data directory holds the live state
 * in memory and saves it only now and then (a second after the feed goes quiet, and every 10,000 events
 * or 30 s). Asked through its API (`POST /api/projections/save`, with the token of `--token` or
 * `TALLY_TOKEN`), it saves it now, so the snapshots compared are the live state as of this run.
 */
import { ApiCallError, callApi } from '../api-client.ts';
import { readLedgerEndpoint, serverEndpointPath } from '../options.ts';

/** What became of asking the server. */
export type LiveSave =
  /** No server runs on the data directory: its snapshots are its last state. */
  | { readonly kind: 'no-server' }
  /** The server saved what changed; each read model's position as saved. */
  | { readonly kind: 'saved'; readonly server: string; readonly positions: Readonly<Record<string, number>> }
  /** The server did not (no token, a refusal, gone): the snapshots are as it last saved them. */
  | { readonly kind: 'not-saved'; readonly server: string; readonly why: string };

export async function saveLiveState(dataDir: string, token: string | undefined): Promise<LiveSave> {
  const server = (await readLedgerEndpoint(dataDir, serverEndpointPath(dataDir)))?.url;
  if (!server) return { kind: 'no-server' };
  try {
    const { body } = await callApi<{ saved: { name: string; position: number }[] }>(
      { api: server, ...(token ? { token } : {}) },
      'POST',
      '/api/projections/save',
      // Saving a large farm's read models takes a while.
      { timeoutMs: 5 * 60_000 },
    );
    const positions = Object.fromEntries(body.saved.map(({ name, position }) => [name, position]));
    return { kind: 'saved', server, positions };
  } catch (error) {
    if (!(error instanceof ApiCallError)) throw error;
    return { kind: 'not-saved', server, why: error.message };
  }
}

/** The line `tally replay --verify` prints about it; none when no server runs. */
export function liveSaveLine(live: LiveSave): string | undefined {
  if (live.kind === 'saved')
    return `the server at ${live.server} saved its live state first: comparing with the state as of now`;
  if (live.kind === 'not-saved')
    return (
      `the server at ${live.server} did not save its live state (${live.why}); ` +
      'comparing with its snapshots as it last saved them'
    );
  return undefined;
}
