#!/usr/bin/env -S node --min-semi-space-size=16
// The `tally` executable: TypeScript runs directly through tsx, so a checkout needs no build step.
//
// Why the larger young generation (also in package.json's scripts, which start this file with `node`):
// a server holds its read models, hundreds of MiB at a large farm, and each scavenge then pauses it
// 2–5 ms however little it collects. V8 starts the young generation at 1 MiB and grows it only when
// much survives, which serving requests never makes: at 1,000 requests/s of an evaluation's jobs it
// scavenged 34 times a second. From 16 MiB it scavenges 4 times a second, and that route's p99 fell
// from 3.6 to 2.0 ms (the core benchmark's farm, 1.76 million events). The flag only takes effect on
// the command line: V8 sizes its heap before any script runs.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
