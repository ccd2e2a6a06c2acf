// tablets/ and meta/ meet only in the composition (node/tablet-node.ts,
// used by main.ts and the test harness): tablets/ names what it needs of
// META in tablet-meta.ts and imports nothing from meta/; meta/ reaches the server through its own
// ports and never imports the TabletServer or its parts.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('..', import.meta.url));

/** Module specifiers of the non-test sources in `dir` (or of one file), as "file: specifier". */
function importsOf(dir: string, only?: string): string[] {
  return readdirSync(join(SRC, dir))
    .filter((f) => (only === undefined ? f.endsWith('.ts') && !f.endsWith('.test.ts') : f === only))
    .flatMap((f) => [...readFileSync(join(SRC, dir, f), 'utf8').matchAll(/(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]/g)].map((m) => `${dir}/${f}: ${m[1]}`));
}

describe('tablets/ and meta/ boundary', () => {
  it('tablets/ imports nothing from meta/', () => {
    const all = importsOf('tablets');
    // The scan shows the rule can see imports at all.
    expect(all.some((i) => i.endsWith(': ./tablet-meta.js'))).toBe(true);
    expect(all.filter((i) => i.includes('../meta/'))).toEqual([]);
  });

  it('meta/ never imports the TabletServer or its parts', () => {
    const parts = ['tablet-server.js', 'tablet-lifecycle.js', 'data-operations.js', 'split-monitor.js'];
    expect(importsOf('meta').filter((i) => parts.some((p) => i.endsWith(`/tablets/${p}`)))).toEqual([]);
  });

  it('main.ts wires nothing itself: it takes the node from node/tablet-node.ts', () => {
    const main = importsOf('.', 'main.ts');
    expect(main).toContain('./main.ts: ./node/tablet-node.js');
    expect(main.filter((i) => /\.\/(meta|tablets|membership)\//.test(i))).toEqual([]);
  });
});
