/**
 * The live feed's filters: `?category=build,eval` and `?type=BuildFailed,…`. The store filters on one
 * thing at a time, so the narrower (types, else categories) goes to the store and both are checked
 * again here, which is cheap and keeps the feed right whatever the store's filter did.
 */
import type { RecordedEvent, SubscriptionFilter } from '../../../adapters/eventstore/event-store.ts';
import { ApiError } from '../../problem.ts';
import { categories, isCategory } from '../../streams.ts';

export interface FeedFilter {
  /** The filter to ask the store for, if any. */
  readonly store: SubscriptionFilter | undefined;
  /** Whether the client asked for `event`. */
  accepts(event: RecordedEvent): boolean;
}

const maxItems = 50;
const typePattern = /^[A-Za-z][A-Za-z0-9]{0,127}$/;

function list(value: string | undefined, field: string): string[] {
  if (value === undefined) return [];
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0 || items.length > maxItems) {
    throw new ApiError(
      'TALLY_API_INVALID_REQUEST',
      `${field} must list 1 to ${maxItems} comma-separated values`,
      field,
    );
  }
  return items;
}

export function feedFilter(query: { category?: string | undefined; type?: string | undefined }): FeedFilter {
  const wantedCategories = list(query.category, 'querystring.category');
  for (const category of wantedCategories) {
    if (!isCategory(category)) {
      throw new ApiError(
        'TALLY_API_INVALID_REQUEST',
        `querystring.category: unknown category ${JSON.stringify(category)} (expected ${categories.join(', ')})`,
        'querystring.category',
      );
    }
  }
  const wantedTypes = list(query.type, 'querystring.type');
  for (const type of wantedTypes) {
    if (!typePattern.test(type)) {
      throw new ApiError(
        'TALLY_API_INVALID_REQUEST',
        `querystring.type: ${JSON.stringify(type)} is not an event type (PascalCase letters and digits)`,
        'querystring.type',
      );
    }
  }
  const prefixes = wantedCategories.map((category) => `${category}-`);
  const types = new Set(wantedTypes);
  const store: SubscriptionFilter | undefined =
    types.size > 0
      ? { typeRegex: `^(?:${[...types].join('|')})$` }
      : prefixes.length > 0
        ? { streamPrefixes: prefixes }
        : undefined;
  return {
    store,
    accepts: (event) =>
      (types.size === 0 || types.has(event.type)) &&
      (prefixes.length === 0 || prefixes.some((prefix) => event.streamId.startsWith(prefix))),
  };
}
