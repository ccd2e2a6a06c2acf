// Data-driven tests, after Pebble's (cockroachdb/datadriven): a test file in
// testdata/ holds cases of the form
//
//   # comments and blank lines between cases are kept as they are
//   command arg key=value key=(a,b)
//   input line
//   input line
//   ----
//   expected output line
//   expected output line
//
// A case ends at the first blank line after its `----` (or at the end of the
// file), so an output never holds a blank line (an empty output is written
// as nothing at all). The handler gets the parsed case and returns the
// actual output; a case passes when that equals the expected text exactly.
//
// Rewrite (Pebble's -rewrite): run with KDI_DATADRIVEN_REWRITE=1, e.g.
//   KDI_DATADRIVEN_REWRITE=1 npx vitest run test/merged-scan.datadriven.test.ts
// and every expected output is replaced by what the code printed; review the
// diff with git before committing it. Nothing is compared in that mode.

import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

export interface Arg {
  readonly key: string;
  /** `key` → [], `key=v` → [v], `key=(a,b)` → [a, b]. */
  readonly vals: readonly string[];
}

export interface TestCase {
  readonly file: string;
  /** 1-based line of the command. */
  readonly line: number;
  readonly command: string;
  readonly args: readonly Arg[];
  /** The lines between the command and `----`, joined by \n (no trailing newline). */
  readonly input: string;
  readonly expected: string;
  /** Line indexes (0-based) of the expected output in the file: [from, to). */
  readonly outputLines: readonly [number, number];
}

export type Handler = (c: TestCase) => string | Promise<string>;

export const REWRITE = process.env['KDI_DATADRIVEN_REWRITE'] === '1';

/** The case's argument `key`, or undefined. */
export function arg(c: TestCase, key: string): Arg | undefined {
  return c.args.find((a) => a.key === key);
}

/** The single value of `key` (or `fallback`); throws naming the case when it is missing or not one value. */
export function argValue(c: TestCase, key: string, fallback?: string): string {
  const a = arg(c, key);
  if (a === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${c.file}:${c.line}: ${c.command} needs ${key}=…`);
  }
  if (a.vals.length !== 1) throw new Error(`${c.file}:${c.line}: ${key} takes one value, got ${a.vals.length}`);
  return a.vals[0]!;
}

function parseArgs(text: string, where: string): Arg[] {
  const args: Arg[] = [];
  const re = /([^\s=]+)(?:=(\([^)]*\)|\S+))?/g;
  for (const m of text.matchAll(re)) {
    const key = m[1]!;
    const raw = m[2];
    if (raw === undefined) args.push({ key, vals: [] });
    else if (raw.startsWith('('))
      args.push({
        key,
        vals: raw
          .slice(1, -1)
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      });
    else args.push({ key, vals: [raw] });
  }
  if (args.some((a) => a.key.startsWith('('))) throw new Error(`${where}: malformed arguments "${text}"`);
  return args;
}

/** Parses a test file's text; throws naming the line on a malformed case. */
export function parseTestData(text: string, file: string): TestCase[] {
  const lines = text.split('\n');
  const cases: TestCase[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      i++;
      continue;
    }
    const start = i;
    const [command, ...rest] = line.trim().split(/\s+/);
    const args = parseArgs(rest.join(' '), `${file}:${start + 1}`);
    i++;
    const input: string[] = [];
    while (i < lines.length && lines[i] !== '----') {
      if (lines[i]!.trim() === '') throw new Error(`${file}:${start + 1}: case "${line}" has no ---- line before a blank line`);
      input.push(lines[i]!);
      i++;
    }
    if (i >= lines.length) throw new Error(`${file}:${start + 1}: case "${line}" has no ---- line`);
    i++; // ----
    const from = i;
    while (i < lines.length && lines[i]!.trim() !== '') i++;
    cases.push({ file, line: start + 1, command: command!, args, input: input.join('\n'), expected: lines.slice(from, i).join('\n'), outputLines: [from, i] });
  }
  return cases;
}

export interface CaseResult {
  readonly case: TestCase;
  readonly actual: string;
}

/** Runs every case in order (cases may build on earlier ones: the handler keeps state). */
export async function runCases(cases: readonly TestCase[], handler: Handler): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const c of cases) out.push({ case: c, actual: normalizeOutput(await handler(c), c) });
  return out;
}

function normalizeOutput(actual: string, c: TestCase): string {
  const text = actual.replace(/\n+$/, '');
  if (text.split('\n').some((l) => l.trim() === '') && text !== '') {
    throw new Error(`${c.file}:${c.line}: the output of "${c.command}" holds a blank line, which would end the case`);
  }
  return text;
}

/** One message per case whose output differs from its expectation. */
export function mismatches(results: readonly CaseResult[]): string[] {
  return results
    .filter((r) => r.actual !== r.case.expected)
    .map((r) => `${r.case.file}:${r.case.line}: ${r.case.command}\n--- expected\n${r.case.expected}\n--- actual\n${r.actual}`);
}

/** The file's text with every expected output replaced by the actual one. */
export function rewriteTestData(text: string, results: readonly CaseResult[]): string {
  const lines = text.split('\n');
  // From the last case back, so earlier line numbers stay valid.
  for (const r of [...results].sort((a, b) => b.case.outputLines[0] - a.case.outputLines[0])) {
    const [from, to] = r.case.outputLines;
    lines.splice(from, to - from, ...(r.actual === '' ? [] : r.actual.split('\n')));
  }
  return lines.join('\n');
}

/**
 * Declares a vitest suite for `path`: one test per case, run in file order
 * (`makeHandler` is called once, so a handler may keep state across cases).
 * With KDI_DATADRIVEN_REWRITE=1 the file is rewritten instead.
 */
export function dataDriven(path: string, makeHandler: () => Handler): void {
  const text = readFileSync(path, 'utf8');
  const file = basename(path);
  const cases = parseTestData(text, file);
  describe(file, () => {
    const handler = makeHandler();
    const results: CaseResult[] = [];
    it('has cases', () => expect(cases.length).toBeGreaterThan(0));
    for (const c of cases) {
      it(`${file}:${c.line} ${c.command} ${c.args.map((a) => (a.vals.length ? `${a.key}=${a.vals.join(',')}` : a.key)).join(' ')}`, async () => {
        const [r] = await runCases([c], handler);
        results.push(r!);
        if (!REWRITE) expect(r!.actual, `${c.file}:${c.line}\n${c.input}`).toBe(c.expected);
      });
    }
    afterAll(() => {
      if (REWRITE && results.length === cases.length) writeFileSync(path, rewriteTestData(text, results));
    });
  });
}
