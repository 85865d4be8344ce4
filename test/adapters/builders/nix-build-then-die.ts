/**
 * A process that builds the `.drv` argv[2] with the nix builder, prints "building" once the build's
 * log has begun, and waits to be killed: the test kills it with SIGKILL, as a server can be, and looks
 * for what the build had started.
 *
 *   node --import tsx nix-build-then-die.ts DRV_PATH
 */
import { readFileSync } from 'node:fs';
import { createNixBuilder } from '../../../adapters/builders/nix/nix-builder.ts';
import { nixEnv } from '../../domain/derivation/nix.ts';
import { generousLimits, readDrv } from './derivations.ts';

const [drvPath] = process.argv.slice(2);
Object.assign(process.env, nixEnv);
void createNixBuilder().build({
  drvPath: drvPath!,
  drv: readDrv(drvPath!, new Uint8Array(readFileSync(drvPath!))),
  storeDir: '/nix/store',
  limits: generousLimits,
  onLog: (chunk) => {
    if (Buffer.from(chunk).toString().includes('started')) process.stdout.write('building\n');
  },
});
setInterval(() => undefined, 1000);
