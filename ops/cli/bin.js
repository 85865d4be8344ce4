#!/usr/bin/env node
// The `tally` executable: TypeScript runs directly through tsx, so a checkout needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
