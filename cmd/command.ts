/** The shape every `hotshard <command>` module exports. */
export interface Command {
  /** The word after `hotshard` (for example `sim`). */
  readonly name: string;
  /** One line for `hotshard --help`. */
  readonly summary: string;
  /** Full `--help` text for the command. */
  readonly help: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/** An error whose message tells the user what to fix; printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
