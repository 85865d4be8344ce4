/**
 * The file a checkout declares its jobs in, unless the specification names another. In a module of its
 * own so that the CLI can name it in `--help` without loading the evaluator.
 */
export const defaultJobsetFile = 'tally.jobs.json';
