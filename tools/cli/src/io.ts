// What `kdi` needs from its process, passed in so run() is testable:
// output streams (writes honour backpressure), files, a confirmation
// prompt (absent when stdin is not a terminal), a status line (absent when
// stderr is not a terminal) and the clock.

export interface CliIo {
  /** Writes to stdout; resolves when the stream can take more. */
  out(text: string): Promise<void>;
  /** Writes to stderr. */
  err(text: string): void;
  readFile(path: string): Promise<string>;
  /** Asks a yes/no question on the terminal; undefined when there is no terminal to ask on. */
  readonly confirm: ((question: string) => Promise<boolean>) | undefined;
  /** Microseconds since the epoch (the default cell timestamp). */
  nowMicros(): number;
  /** Redraws one status line on the terminal (a progress bar; '' clears it); absent when there is no terminal to draw on. */
  readonly status?: ((line: string) => void) | undefined;
  /** Waits (between polls); default setTimeout. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}
