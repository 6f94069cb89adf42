/**
 * A command line that cannot be run as written: an option's value, a missing option, options that
 * do not go together. The bin exits 2 for it (1 is for what failed while running), as for what
 * commander itself refuses.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
