// The dependency direction of DESIGN §16 and STYLE.md, checked on every
// package's non-test sources: primitives imports nothing (Node built-ins
// only); protocol imports primitives and zod; storage imports primitives
// and its native addons (lz4, @node-rs/crc32) only lazily, no HTTP, and
// Node's fs only behind its FileSystem port; client-sdk imports
// primitives, protocol and undici; service-kit (the service chassis)
// imports protocol, Fastify and its plugins, zod, pino and prom-client; apps
// import libs, never each other.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'test-support' || e.name === 'testing' ? [] : sources(p);
    const testOnly = e.name.endsWith('.test.ts') || e.name.startsWith('test-') || e.name.includes('conformance');
    return e.name.endsWith('.ts') && !testOnly ? [p] : [];
  });
}

/** Module specifiers of import/export statements and dynamic imports (string literals only). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|[\s;])(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)].map(
    (m) => (m[1] ?? m[2] ?? m[3])!,
  );
}

const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
const isRelative = (spec: string) => spec.startsWith('.');
const isNode = (spec: string) => spec.startsWith('node:');

interface Rule {
  readonly dir: string;
  /** Packages (besides node: built-ins and relative paths) the sources may import. */
  readonly allowed: readonly string[];
}

/** What every server app may import: the libs it runs on and the chassis' HTTP packages. */
const SERVER_PACKAGES = [
  '@kdi/primitives',
  '@kdi/protocol',
  '@kdi/client-sdk',
  '@kdi/service-kit',
  'fastify',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  'fastify-type-provider-zod',
  'zod',
  'pino',
];

const RULES: Rule[] = [
  { dir: 'libs/primitives/src', allowed: [] },
  { dir: 'libs/protocol/src', allowed: ['@kdi/primitives', 'zod'] },
  // The native addons are never imported statically: see the lazy-addon rule below.
  { dir: 'libs/storage/src', allowed: ['@kdi/primitives'] },
  { dir: 'libs/client-sdk/src', allowed: ['@kdi/primitives', '@kdi/protocol', 'undici'] },
  {
    dir: 'libs/service-kit/src',
    allowed: ['@kdi/protocol', 'fastify', '@fastify/swagger', '@fastify/swagger-ui', 'fastify-type-provider-zod', 'zod', 'pino', 'prom-client', 'secure-json-parse'],
  },
  {
    dir: 'apps/lockserver/src',
    allowed: [...SERVER_PACKAGES, 'ioredis'],
  },
  {
    dir: 'apps/tabletserver/src',
    // undici: a migration's source streams fragment files to the target (migration/peer-client.ts), which the SDK's JSON transport does not do.
    allowed: [...SERVER_PACKAGES, '@kdi/storage', 'undici'],
  },
  {
    dir: 'apps/master/src',
    allowed: [...SERVER_PACKAGES],
  },
];

describe('dependency rules', () => {
  for (const rule of RULES) {
    const files = sources(join(repo, rule.dir));
    it(`${rule.dir} imports only ${rule.allowed.join(', ') || 'node built-ins'} and its own files`, () => {
      const bad = files.flatMap((f) =>
        imports(f)
          .filter((s) => !isRelative(s) && !isNode(s) && !rule.allowed.includes(packageOf(s)))
          .map((s) => `${relative(repo, f)} imports ${s}`),
      );
      expect(bad).toEqual([]);
    });
    it(`${rule.dir} reaches no other package by a relative path`, () => {
      const root = join(repo, rule.dir, '..');
      const bad = files.flatMap((f) =>
        imports(f)
          .filter(isRelative)
          .filter((s) => !join(f, '..', s).startsWith(root))
          .map((s) => `${relative(repo, f)} imports ${s}`),
      );
      expect(bad).toEqual([]);
    });
  }

  it("libs/storage uses Node's fs only in its Node FileSystem (and the worker pool's existence check)", () => {
    const dir = join(repo, 'libs/storage/src');
    const allowed = new Set(['fs/node-file-system.ts', 'workers/fragment-worker-pool.ts']);
    const bad = sources(dir)
      .filter((f) => !allowed.has(relative(dir, f)))
      .flatMap((f) =>
        imports(f)
          .filter((s) => /^(node:)?fs(\/promises)?$/.test(s))
          .map((s) => `${relative(repo, f)} imports ${s}`),
      );
    expect(bad).toEqual([]);
  });

  it('libs/primitives uses no Node module but Buffer and timers (no node: imports at all)', () => {
    const bad = sources(join(repo, 'libs/primitives/src')).flatMap((f) =>
      imports(f)
        .filter(isNode)
        .map((s) => `${relative(repo, f)} imports ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('libs/storage loads its native addons only lazily, through util/native-addon.ts', () => {
    const dir = join(repo, 'libs/storage/src');
    const addons = ['lz4', '@node-rs/crc32'];
    // require('name') / createRequire(...)('name') anywhere but the lazy loader would load at import time.
    const bad = sources(dir)
      .filter((f) => relative(dir, f) !== 'util/native-addon.ts')
      .flatMap((f) => {
        const text = readFileSync(f, 'utf8');
        return addons
          .filter((a) => new RegExp(`(?:require|import)\\s*\\(\\s*['"]${a}['"]`).test(text) || new RegExp(`\\)\\(\\s*['"]${a}['"]`).test(text))
          .map((a) => `${relative(repo, f)} loads ${a}`);
      });
    expect(bad).toEqual([]);
    const loader = readFileSync(join(dir, 'util/native-addon.ts'), 'utf8');
    expect(loader).toMatch(/requireHere\(spec\.name\)/);
    expect(loader).not.toMatch(/^import .* from ['"](lz4|@node-rs\/crc32)['"]/m);
  });

  it('checks real files (the rules cannot pass vacuously)', () => {
    expect(sources(join(repo, 'libs/primitives/src')).length).toBeGreaterThan(5);
    expect(sources(join(repo, 'libs/storage/src')).length).toBeGreaterThan(20);
    expect(sources(join(repo, 'libs/protocol/src')).length).toBeGreaterThan(10);
    const storageImports = sources(join(repo, 'libs/storage/src')).flatMap(imports);
    expect(storageImports.length).toBeGreaterThan(100);
    expect(storageImports).toContain('../fragment/fragment-reader.js');
  });
});
