// Module boundaries between our projects, test code included (STYLE.md
// "Dependency direction"): the primitives library imports nothing of ours;
// protocol and storage import only primitives; client-sdk and service-kit
// import protocol and primitives; apps import libraries, never each other;
// tools import libraries; no library imports an app, not even in a test.
//
// Every project names its kind with one `type:*` tag in its package.json
// "nx" field. ESLint's @nx/enforce-module-boundaries enforces the same
// table (eslint.config.js, DEP_CONSTRAINTS) on every lint run; this test is
// the independent check that needs no project graph: it reads every file's
// imports itself, and it proves both checks catch a library importing an
// app. (dependency-rules.test.ts keeps the rules on external packages.)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

/** Which kinds of project each kind may import (besides its own files). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  'type:primitives': [],
  'type:protocol': ['type:primitives'],
  'type:storage': ['type:primitives'],
  'type:sdk': ['type:protocol', 'type:primitives'],
  'type:service-kit': ['type:protocol', 'type:primitives'],
  'type:app': ['type:primitives', 'type:protocol', 'type:storage', 'type:sdk', 'type:service-kit'],
  'type:tool': ['type:primitives', 'type:protocol', 'type:storage', 'type:sdk', 'type:service-kit'],
};

/** The tag each library folder must carry (a new library needs a line here and in eslint.config.js). */
const LIB_TAGS: Readonly<Record<string, string>> = {
  'libs/primitives': 'type:primitives',
  'libs/protocol': 'type:protocol',
  'libs/storage': 'type:storage',
  'libs/client-sdk': 'type:sdk',
  'libs/service-kit': 'type:service-kit',
};

interface Project {
  readonly name: string;
  /** Folder relative to the repository, e.g. libs/storage. */
  readonly root: string;
  readonly tags: readonly string[];
}

function projects(): Project[] {
  return ['libs', 'apps', 'tools'].flatMap((group) =>
    readdirSync(join(repo, group), { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(repo, group, e.name, 'package.json')))
      .map((e) => {
        const pkg = JSON.parse(readFileSync(join(repo, group, e.name, 'package.json'), 'utf8')) as { name: string; nx?: { tags?: string[] } };
        return { name: pkg.name, root: `${group}/${e.name}`, tags: pkg.nx?.tags ?? [] };
      }),
  );
}

const typeOf = (p: Project): string | undefined => p.tags.find((t) => t.startsWith('type:'));

/** Every source file of a project, tests and test support included. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return ['node_modules', 'dist', 'coverage', 'testdata'].includes(e.name) ? [] : files(p);
    return /\.(ts|mts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

/** Module specifiers of import/export statements and dynamic imports (string literals only). */
function imports(text: string): string[] {
  return [...text.matchAll(/(?:^|[\s;])(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)].map(
    (m) => (m[1] ?? m[2] ?? m[3])!,
  );
}

/**
 * What is wrong with `spec` imported by `file` (absolute) of project `from`,
 * or undefined when the import is allowed. Relative imports must stay inside
 * their project; other projects are reached by package name, if at all.
 */
export function checkImport(all: readonly Project[], from: Project, file: string, spec: string): string | undefined {
  const where = relative(repo, file);
  let target: Project | undefined;
  if (spec.startsWith('.')) {
    const abs = resolve(dirname(file), spec);
    target = all.find((p) => abs === join(repo, p.root) || abs.startsWith(join(repo, p.root) + sep));
    if (target === undefined) return undefined; // a workspace file such as vitest.shared.ts
    if (target !== from) return `${where} reaches ${target.name} by the relative path ${spec}`;
    return undefined;
  }
  target = all.find((p) => spec === p.name || spec.startsWith(`${p.name}/`));
  if (target === undefined || target === from) return undefined; // an npm package (dependency-rules.test.ts) or itself
  const fromType = typeOf(from);
  const toType = typeOf(target);
  if (fromType === undefined || toType === undefined) return `${where} imports ${spec}, but ${fromType ? target.root : from.root} has no type:* tag`;
  if (!ALLOWED[fromType]?.includes(toType))
    return `${where} (${fromType}) imports ${spec} (${toType}); ${fromType} may import only ${ALLOWED[fromType]?.join(', ') || 'nothing of ours'}`;
  return undefined;
}

describe('module boundaries (test code included)', () => {
  const all = projects();

  it('every project carries the type tag of its folder', () => {
    const bad = all.flatMap((p) => {
      const types = p.tags.filter((t) => t.startsWith('type:'));
      const want = p.root.startsWith('apps/') ? 'type:app' : p.root.startsWith('tools/') ? 'type:tool' : LIB_TAGS[p.root];
      if (want === undefined) return [`${p.root}: a new library; give it a type:* tag here (LIB_TAGS), in ALLOWED and in eslint.config.js`];
      return types.length === 1 && types[0] === want ? [] : [`${p.root}/package.json: set "nx": { "tags": ["${want}"] } (has ${JSON.stringify(p.tags)})`];
    });
    expect(bad).toEqual([]);
  });

  it('no project imports what its kind may not, nor another project by a relative path', () => {
    const bad = all.flatMap((p) =>
      files(join(repo, p.root)).flatMap((f) =>
        imports(readFileSync(f, 'utf8'))
          .map((s) => checkImport(all, p, f, s))
          .filter((m): m is string => m !== undefined),
      ),
    );
    expect(bad).toEqual([]);
  });

  it('reads real files, tests included (the check cannot pass vacuously)', () => {
    const sdk = all.find((p) => p.root === 'libs/client-sdk')!;
    const sdkFiles = files(join(repo, sdk.root));
    expect(sdkFiles.some((f) => f.endsWith('.test.ts'))).toBe(true);
    expect(sdkFiles.some((f) => f.includes(`${sep}test-support${sep}`))).toBe(true);
    const tablet = all.find((p) => p.root === 'apps/tabletserver')!;
    expect(files(join(repo, tablet.root)).flatMap((f) => imports(readFileSync(f, 'utf8')))).toContain('@kdi/client-sdk/test-support');
  });

  it('reports a library importing an app, by path or by name, in a test too; an app importing an app; and allows an app importing a library', () => {
    const by = (root: string) => all.find((p) => p.root === root)!;
    const sdk = by('libs/client-sdk');
    const sdkTest = join(repo, 'libs/client-sdk/src/lock/made-up.test.ts');
    expect(checkImport(all, sdk, sdkTest, '../../../../apps/lockserver/src/app.js')).toMatch(/reaches @kdi\/lockserver by the relative path/);
    expect(checkImport(all, sdk, sdkTest, '@kdi/lockserver')).toMatch(/type:sdk\) imports @kdi\/lockserver \(type:app\)/);
    expect(checkImport(all, by('libs/storage'), join(repo, 'libs/storage/src/x.ts'), '@kdi/protocol')).toMatch(/type:storage may import only type:primitives/);
    expect(checkImport(all, by('apps/tabletserver'), join(repo, 'apps/tabletserver/test/x.test.ts'), '@kdi/lockserver')).toMatch(/type:app\) imports @kdi\/lockserver/);
    expect(checkImport(all, by('apps/tabletserver'), join(repo, 'apps/tabletserver/test/x.test.ts'), '@kdi/client-sdk/test-support')).toBeUndefined();
    expect(checkImport(all, sdk, sdkTest, './lock-client.js')).toBeUndefined();
  });

  it('matches the constraints ESLint enforces', async () => {
    const config = (await import(pathToFileURL(join(repo, 'eslint.config.js')).href)) as {
      DEP_CONSTRAINTS: { sourceTag: string; onlyDependOnLibsWithTags: string[] }[];
    };
    const table = Object.fromEntries(config.DEP_CONSTRAINTS.map((c) => [c.sourceTag, [...c.onlyDependOnLibsWithTags].sort()]));
    expect(table).toEqual(Object.fromEntries(Object.entries(ALLOWED).map(([k, v]) => [k, [...v].sort()])));
  });

  describe('ESLint', () => {
    beforeAll(() => {
      // The rule reads Nx's cached project graph (and skips itself without one): make sure it is there and fresh.
      const nxPackage = createRequire(import.meta.url).resolve('nx/package.json');
      const bin = (JSON.parse(readFileSync(nxPackage, 'utf8')) as { bin: { nx: string } }).bin.nx;
      execFileSync(process.execPath, [join(dirname(nxPackage), bin), 'show', 'projects'], { cwd: repo, stdio: 'ignore', env: { ...process.env, NX_DAEMON: 'false' } });
    }, 120_000);

    it('fails a library test that imports an app, and passes an app test that imports a library', async () => {
      const eslint = new ESLint({ cwd: repo });
      const [bad] = await eslint.lintText("import { buildApp } from '../../../../apps/lockserver/src/app.js';\nexport const b = buildApp;\n", {
        filePath: join(repo, 'libs/client-sdk/src/lock/made-up.test.ts'),
      });
      const [byName] = await eslint.lintText("import { buildApp } from '@kdi/lockserver';\nexport const b = buildApp;\n", {
        filePath: join(repo, 'libs/client-sdk/src/lock/made-up.test.ts'),
      });
      const [good] = await eslint.lintText("import { LockClient } from '@kdi/client-sdk';\nexport const c = LockClient;\n", {
        filePath: join(repo, 'apps/lockserver/test/made-up.test.ts'),
      });
      const boundary = (r: ESLint.LintResult | undefined) => (r?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries');
      expect(boundary(bad).length).toBe(1);
      expect(boundary(byName).length).toBe(1);
      expect(boundary(good)).toEqual([]);
    }, 120_000);
  });
});
