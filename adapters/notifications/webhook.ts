/**
 * One delivery of a webhook: a JSON body POSTed to a URL, with what went wrong told in the words of
 * the notification events (`NotificationFailureReason`), so that the notifier can decide to retry.
 */
import type { NotificationFailureReason } from '../../domain/notification/events.ts';

export type Delivery =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly reason: NotificationFailureReason; readonly detail: string };

/** At most this much of a refusal's body is kept in the event's detail. */
const detailBytes = 512;

/** The start of a refusal's body: a receiver may answer with megabytes, or never end its answer. */
async function answerText(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size <= detailBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // Cut off or timed out: what came is enough.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length > detailBytes ? `${text.slice(0, detailBytes)}…` : text;
}

/**
 * POSTs `body` to `url` with `headers`, giving up after `timeoutMs`. Redirects are not followed: a
 * POST turned into a GET on the way would report a delivery that never happened.
 */
export async function postWebhook(
  url: string,
  body: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<Delivery> {
  let host: string;
  try {
    host = new URL(url).host;
  } catch {
    return {
      ok: false,
      reason: 'misconfigured',
      detail: `${url} is not a URL: correct it in the specification`,
    };
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const name = (error as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError')
      return { ok: false, reason: 'timed-out', detail: `no answer within ${timeoutMs} ms` };
    const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
    const detail = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
    return { ok: false, reason: 'unreachable', detail: `could not reach ${host}: ${detail}` };
  }
  const status = response.status;
  if (status >= 200 && status < 300) {
    await response.body?.cancel().catch(() => undefined);
    return { ok: true, status };
  }
  const said = await answerText(response);
  const answer = `answered HTTP ${status}${said ? `: ${said}` : ''}`;
  if (status >= 300 && status < 400)
    return {
      ok: false,
      reason: 'rejected',
      detail: `${answer} (redirected to ${response.headers.get('location') ?? 'nowhere'}; give the final URL)`,
    };
  // A server error, a timeout or a rate limit may pass; any other refusal would be repeated.
  const passing = status >= 500 || status === 408 || status === 429;
  return { ok: false, reason: passing ? 'unreachable' : 'rejected', detail: answer };
}
