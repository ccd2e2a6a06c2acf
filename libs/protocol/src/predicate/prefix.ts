// The upper end of a prefix match. `row ~= p` means the half-open interval
// [p, prefixSuccessor(p)): every byte string that starts with p is >= p and
// < the successor, and nothing else is.

/**
 * The smallest byte string greater than every string that starts with `prefix`:
 * trailing 0xFF bytes are stripped and the last remaining byte incremented.
 * Returns undefined when no such string exists (`prefix` empty or all 0xFF),
 * meaning the prefix range has no upper bound. Never aliases `prefix`.
 */
export function prefixSuccessor(prefix: Uint8Array): Buffer | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const successor = Buffer.from(prefix.subarray(0, end));
  // end > 0 and the byte there is < 0xFF, so the increment cannot overflow.
  successor[end - 1] = (successor[end - 1] ?? 0) + 1;
  return successor;
}
