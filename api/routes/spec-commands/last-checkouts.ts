/**
 * The checkouts a manual evaluation uses: for each channel of the specification, the last commit the
 * poller detected on a branch that still exists, read from the spec's checkout stream.
 */
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { readDomainEvent } from '../../../adapters/eventstore/read-domain-event.ts';
import type { Checkout } from '../../../domain/checkout/checkout.ts';
import { streams } from '../../../domain/shared/streams.ts';
import type { Specification } from '../../../domain/specification/specification.ts';

export async function lastCheckouts(store: EventStore, spec: Specification): Promise<Checkout[]> {
  /** channel → branch → the checkout last detected on it. */
  const heads = new Map<string, Map<string, Checkout>>();
  for await (const recorded of store.readStream(streams.checkout(spec.name))) {
    const event = readDomainEvent(recorded);
    if (event.type === 'CheckoutDetected' && !event.data.patchSeries) {
      const { channel, url, branch, commit, commitTime } = event.data;
      const branches = heads.get(channel) ?? new Map<string, Checkout>();
      branches.delete(branch); // re-inserted last: the map's order is detection order
      branches.set(branch, { channel, url, branch, commit, commitTime });
      heads.set(channel, branches);
    } else if (event.type === 'BranchDeleted') {
      heads.get(event.data.channel)?.delete(event.data.branch);
    }
  }
  return spec.channels.flatMap((channel) => {
    const latest = [...(heads.get(channel.name)?.values() ?? [])].at(-1);
    return latest ? [latest] : [];
  });
}
