// Constant-time secret comparison (DESIGN §14): the comparison takes the
// same time whatever the guess (both sides are hashed to equal length
// first, then compared with timingSafeEqual), and the secret never reaches
// a log or an error message.

import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** A predicate true exactly for `secret`; it keeps only the secret's digest. */
export function secretMatcher(secret: string): (guess: string) => boolean {
  const expected = digest(secret);
  return (guess) => timingSafeEqual(digest(guess), expected);
}
