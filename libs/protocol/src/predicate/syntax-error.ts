// The one error the predicate parser throws. Every instance names where the
// text went wrong (a 0-based UTF-16 offset into the input, as JavaScript
// string indices are) and what the parser expected there, so a client can
// point at the offending character. Apps map it to INVALID_ARGUMENT.

export class PredicateSyntaxError extends Error {
  /** 0-based character offset into the predicate text. */
  readonly position: number;
  /** What the parser expected at `position`, e.g. "a string literal after '<='". */
  readonly expected: string;
  /** A short rendering of what was found instead ("end of input" at the end). */
  readonly found: string;

  constructor(position: number, expected: string, found: string) {
    super(`at position ${position}: expected ${expected} but found ${found}`);
    this.name = 'PredicateSyntaxError';
    this.position = position;
    this.expected = expected;
    this.found = found;
  }
}
