/**
 * Making a successful build's outputs valid paths of the store, each with the references the
 * builder found and the derivation as deriver, so the binary cache serves them at once. What is
 * wrong with an output itself (a reference that is not valid, a file a NAR cannot hold) rejects the
 * output; anything else (a full disk) is the farm's failure.
 */
import type { BuildFailure, BuiltOutput } from '../builders/builder.ts';
import { StoreError, type StoreErrorCode } from '../store/errors.ts';
import type { Store } from '../store/store.ts';

const rejectingCodes: ReadonlySet<StoreErrorCode> = new Set([
  'TALLY_STORE_MISSING_REFERENCE',
  'TALLY_STORE_BAD_PATH',
  'TALLY_STORE_UNSUPPORTED_FILE',
  'TALLY_STORE_NOT_FOUND',
  'TALLY_STORE_FILE_CHANGED',
]);

/** Outputs ordered so that one referring to another comes after it (self-references are fine). */
function referencedFirst(outputs: readonly BuiltOutput[]): BuiltOutput[] {
  const pending = [...outputs];
  const ordered: BuiltOutput[] = [];
  while (pending.length > 0) {
    const ready = pending.findIndex((output) =>
      output.references.every((ref) => ref === output.path || !pending.some((other) => other.path === ref)),
    );
    // A cycle between outputs cannot be registered: the store then says which reference is missing.
    ordered.push(...pending.splice(Math.max(ready, 0), 1));
  }
  return ordered;
}

/** Registers every output; resolves with them as the store recorded them, or with why not. */
export async function registerOutputs(
  store: Store,
  drvPath: string,
  outputs: readonly BuiltOutput[],
): Promise<{ ok: true; outputs: BuiltOutput[] } | ({ ok: false } & BuildFailure)> {
  const registered = new Map<string, BuiltOutput>();
  for (const output of referencedFirst(outputs)) {
    try {
      const info = await store.addFromDirectory({
        path: output.path,
        references: output.references,
        deriver: drvPath,
      });
      if (info.narHash !== output.narHash) {
        const detail = `the output ${output.path} hashed ${output.narHash} when built but the store holds ${info.narHash}`;
        return { ok: false, reason: 'output-rejected', detail };
      }
      registered.set(output.name, { ...output, narSize: info.narSize, references: info.references });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const detail = `the output ${output.path} could not be registered: ${message}`;
      const rejected = error instanceof StoreError && rejectingCodes.has(error.code);
      return { ok: false, reason: rejected ? 'output-rejected' : 'infrastructure', detail };
    }
  }
  return { ok: true, outputs: outputs.map((output) => registered.get(output.name)!) };
}
