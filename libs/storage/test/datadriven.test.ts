// The data-driven runner itself: parsing, a wrong expectation failing with
// its file and line, and rewrite producing a file that then passes.
import { describe, expect, it } from 'vitest';
import { argValue, mismatches, parseTestData, rewriteTestData, runCases, type TestCase } from '@kdi/primitives/test-support';

const FILE = `# a comment
sum a=1 b=(2,3) verbose
4
----
10

# between cases
upper
hello
world
----
HELLO
WRONG
`;

function handler(c: TestCase): string {
  if (c.command === 'sum') {
    const b = c.args.find((a) => a.key === 'b')!.vals.map(Number);
    return String(Number(argValue(c, 'a')) + b.reduce((x, y) => x + y, 0) + Number(c.input));
  }
  if (c.command === 'upper') return c.input.toUpperCase();
  throw new Error(`unknown ${c.command}`);
}

describe('data-driven runner', () => {
  it('parses commands, arguments, input and expected output with their lines', () => {
    const cases = parseTestData(FILE, 'x.txt');
    expect(cases.map((c) => [c.line, c.command, c.input, c.expected])).toEqual([
      [2, 'sum', '4', '10'],
      [8, 'upper', 'hello\nworld', 'HELLO\nWRONG'],
    ]);
    expect(cases[0]!.args).toEqual([
      { key: 'a', vals: ['1'] },
      { key: 'b', vals: ['2', '3'] },
      { key: 'verbose', vals: [] },
    ]);
  });

  it('reports a wrong expectation with its file, line, expected and actual output', async () => {
    const results = await runCases(parseTestData(FILE, 'x.txt'), handler);
    const bad = mismatches(results);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toBe('x.txt:8: upper\n--- expected\nHELLO\nWRONG\n--- actual\nHELLO\nWORLD');
  });

  it('rewrites expected outputs, keeping comments and blank lines, and the rewritten file passes', async () => {
    const results = await runCases(parseTestData(FILE, 'x.txt'), handler);
    const rewritten = rewriteTestData(FILE, results);
    expect(rewritten).toBe(FILE.replace('WRONG', 'WORLD'));
    expect(mismatches(await runCases(parseTestData(rewritten, 'x.txt'), handler))).toEqual([]);
  });

  it('fills in an empty expectation on rewrite, and an empty output leaves none', async () => {
    const text = 'upper\nabc\n----\n\nupper\n----\nstale\n';
    const results = await runCases(parseTestData(text, 'y.txt'), handler);
    expect(mismatches(results)).toHaveLength(2);
    expect(rewriteTestData(text, results)).toBe('upper\nabc\n----\nABC\n\nupper\n----\n');
  });

  it('refuses malformed files and outputs that would end a case early, naming the line', async () => {
    expect(() => parseTestData('cmd\ninput\n', 'z.txt')).toThrow(/z.txt:1: case "cmd" has no ---- line/);
    expect(() => parseTestData('cmd\ninput\n\nmore\n----\n', 'z.txt')).toThrow(/z.txt:1: .*before a blank line/);
    await expect(runCases(parseTestData('upper\na\n----\n', 'z.txt'), () => 'one\n\ntwo')).rejects.toThrow(/z.txt:1: .*blank line/);
    expect(() => argValue(parseTestData('sum\n----\n', 'z.txt')[0]!, 'a')).toThrow(/z.txt:1: sum needs a=/);
  });
});
