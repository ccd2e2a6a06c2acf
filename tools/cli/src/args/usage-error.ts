// A command line `kdi` cannot run: exit status 2, with the message and the
// help command that shows how to write it.

export class UsageError extends Error {
  /** The command whose help to point at ('' for the top level). */
  readonly command: string;

  constructor(message: string, command = '') {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}
