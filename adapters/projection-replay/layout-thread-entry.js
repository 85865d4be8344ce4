// The layout thread's entry: TypeScript loads through tsx here too, since a worker thread does not
// inherit the loader its parent registered.
import { register } from 'tsx/esm/api';

register();
await import('./layout-thread-main.ts');
