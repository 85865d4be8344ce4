/**
 * One copy of each repeated name. Every decoded event brings its own copies of the specification,
 * job, system and worker names; read models that keep them would hold hundreds of thousands of
 * copies of a few thousand names. `interned` hands back the first copy seen instead, one table for
 * every read model of the thread.
 *
 * The table is forgotten whenever it reaches `limit` names, so names that come and go (evaluation
 * ids) never make it grow without bound; after that a name is only kept twice, never lost.
 */

const limit = 1 << 16;
let table = new Map<string, string>();

/** The first copy of `name` seen (since the table was last forgotten). */
export function interned(name: string): string {
  const known = table.get(name);
  if (known !== undefined) return known;
  if (table.size >= limit) table = new Map();
  table.set(name, name);
  return name;
}
