/** The command's exit codes (the README's table states them). */
export const EXIT = {
  ok: 0,
  /** The command failed, or found what it checks for (`verify`'s problems, `copy`'s refusals). */
  failure: 1,
  /** Bad arguments or store URL, or an adapter package that is not installed. */
  usage: 2,
  /** Stopped by SIGINT or SIGTERM (128 + SIGINT's number, as shells report it). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
