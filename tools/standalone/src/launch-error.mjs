// The one error the launcher reports as a message rather than a stack: a
// problem the person starting the cluster can fix (a port in use, an
// unusable data directory, a server that would not start). `exitCode` is
// what the launcher exits with (2: fix your setup; 1: a server failed).

export class LaunchError extends Error {
  /**
   * @param {string} message what went wrong and what to do, naming the port, directory or server
   * @param {number} [exitCode]
   */
  constructor(message, exitCode = 2) {
    super(message);
    this.name = 'LaunchError';
    this.exitCode = exitCode;
  }
}
