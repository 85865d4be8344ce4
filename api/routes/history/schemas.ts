/** Schemas of `GET /api/history/:category/:id`. */
import { type Static, Type } from 'typebox';
import { problemResponses } from '../../problem.ts';
import { categories, EventView } from '../../streams.ts';

export const maxPageSize = 1000;

export const HistoryParams = Type.Object({
  category: Type.Enum([...categories], { description: 'The aggregate category' }),
  id: Type.String({ minLength: 1, maxLength: 256, pattern: '^\\S+$', description: 'The aggregate id' }),
});

export const HistoryQuery = Type.Object({
  from: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description:
        'The first revision to return (inclusive); defaults to the first (forwards) or last (backwards)',
    }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: maxPageSize, default: 100 }),
  direction: Type.Enum(['forwards', 'backwards'], { default: 'forwards' }),
});

export const HistoryPage = Type.Object({
  stream: Type.String(),
  direction: Type.Enum(['forwards', 'backwards']),
  events: Type.Array(EventView),
  next: Type.Union([Type.Integer(), Type.Null()], {
    description: 'The `from` of the next page in the same direction; null on the last page',
  }),
});
export type HistoryPage = Static<typeof HistoryPage>;

export const historySchema = {
  summary: "An aggregate's raw event stream, a page at a time",
  tags: ['history'],
  params: HistoryParams,
  querystring: HistoryQuery,
  response: { 200: HistoryPage, ...problemResponses(400, 404, 410, 500, 503) },
};
