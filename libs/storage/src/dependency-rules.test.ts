// DESIGN §16 / STYLE.md: libs/storage imports nothing of ours and no HTTP,
// and touches Node's fs only behind its FileSystem port.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('.', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

describe('libs/storage dependency rules', () => {
  const files = sources(root);
  it('has sources to check', () => expect(files.length).toBeGreaterThan(20));

  it('imports no @kdi package and no HTTP library', () => {
    const bad = files.flatMap((f) =>
      imports(f)
        .filter((i) => i.startsWith('@kdi/') || /^(node:)?https?$|^(fastify|undici|ioredis)/.test(i))
        .map((i) => `${relative(root, f)} imports ${i}`),
    );
    expect(bad).toEqual([]);
  });

  it("uses Node's fs only in the Node FileSystem (and the worker pool's existence check)", () => {
    const allowed = new Set(['fs/node-file-system.ts', 'workers/fragment-worker-pool.ts']);
    const bad = files
      .filter((f) => !allowed.has(relative(root, f)))
      .flatMap((f) => imports(f).filter((i) => /^(node:)?fs(\/promises)?$/.test(i)).map((i) => `${relative(root, f)} imports ${i}`));
    expect(bad).toEqual([]);
  });
});
