import { describe, expect, it } from 'vitest';
import { ScanCursor } from './scan-cursor.js';

const b = (s: string) => Buffer.from(s);
const cell = (row: string) => ({ row: b(row), column: b('f:'), timestamp: 1, value: b('v') });
const rowOf = (c: ScanCursor) => Buffer.from(c.locateRow).toString();

describe('ScanCursor', () => {
  it('routes the next page by nextRow, else by the last row returned, and keeps the token', () => {
    const c = new ScanCursor(b('a'));
    expect(c.resume).toBeUndefined();
    c.advance({ cells: [cell('b'), cell('c')], end: false, resume: 't1', nextRow: undefined });
    expect([rowOf(c), c.resume, c.done]).toEqual(['c', 't1', false]);
    c.advance({ cells: [cell('d')], end: false, resume: 't2', nextRow: b('m') });
    expect([rowOf(c), c.resume]).toEqual(['m', 't2']);
    c.advance({ cells: [], end: false, resume: 't3', nextRow: undefined });
    expect([rowOf(c), c.resume]).toEqual(['m', 't3']);
    c.advance({ cells: [cell('z')], end: true, resume: undefined, nextRow: undefined });
    expect(c.done).toBe(true);
    expect(() => c.advance({ cells: [], end: true, resume: undefined, nextRow: undefined })).toThrow(/complete/);
  });

  it('moves to the row a WRONG_TABLET names, keeping the token (the page is asked again)', () => {
    const c = new ScanCursor(b(''));
    c.advance({ cells: [cell('k')], end: false, resume: 't1', nextRow: undefined });
    c.relocate(b('k\0'));
    expect([rowOf(c), c.resume]).toEqual(['k\0', 't1']);
    c.relocate(undefined);
    expect(rowOf(c)).toBe('k\0');
  });

  it('resumes between pages from a recorded row and token (a page token)', () => {
    const c = ScanCursor.resumeAt(b('m'), 't7');
    expect([rowOf(c), c.resume, c.done]).toEqual(['m', 't7', false]);
    c.advance({ cells: [cell('n')], end: false, resume: 't8', nextRow: undefined });
    expect([rowOf(c), c.resume]).toEqual(['n', 't8']);
  });

  it('refuses a page that is neither the end nor resumable', () => {
    expect(() => new ScanCursor(b('')).advance({ cells: [], end: false, resume: undefined, nextRow: undefined })).toThrow(/resume token/);
  });
});
