// Doc drift (STYLE.md, like Fastify's errors test): what the code defines
// must be in docs/.
//   - every error code of the catalogue (@kdi/protocol ERROR_CATALOGUE) is in
//     docs/api.md, as `CODE`;
//   - every configuration variable an app reads (the `name: 'KDI_…'` entries
//     of apps/*/src/config.ts, the list its loadConfig maps through
//     envToRaw/variableFor) is in docs/operations.md or the app's own doc,
//     as `KDI_…` (a `KDI_X_A`, `…_B` row names `KDI_X_B` too);
//   - every route an app registers (`app.get|post|put|delete|patch('/…'` in
//     apps/*/src/routes/**) is in docs/ as "METHOD /path" (`:param`, `{param}`
//     and `*` all read as one path parameter).
// Tools may not import apps (module boundaries), so the apps' files are read
// as text; each list must be non-empty, so a changed registration style
// fails here instead of passing vacuously. The unit checks below prove a
// made-up code, variable and route are reported.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CATALOGUE } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const read = (path: string): string => readFileSync(join(repo, path), 'utf8');

/** Each app's own document besides docs/operations.md (a new app needs a line here). */
const APP_DOCS: Readonly<Record<string, string>> = {
  lockserver: 'docs/lockserver.md',
  tabletserver: 'docs/api.md',
  master: 'docs/master.md',
  gateway: 'docs/gateway.md',
};

function apps(): string[] {
  return readdirSync(join(repo, 'apps'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(repo, 'apps', e.name, 'src')))
    .map((e) => e.name);
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

// ---- what the code defines -------------------------------------------------

/** Variables named by `name: 'KDI_…'` entries (the EnvVariable lists of config.ts). */
export function configVariables(configSource: string): string[] {
  return [...configSource.matchAll(/\bname:\s*['"](KDI_[A-Z0-9_]+)['"]/g)].map((m) => m[1]!);
}

export interface Route {
  readonly method: string;
  readonly path: string;
}

/** Routes registered as app.get('/path', …) (the path may be on the next line). */
export function registeredRoutes(routeSource: string): Route[] {
  return [...routeSource.matchAll(/\b(?:app|fastify|instance|server)\s*\.\s*(get|post|put|delete|patch)\s*(?:<[^>]*>)?\s*\(\s*['"`](\/[^'"`]*)['"`]/g)].map((m) => ({
    method: m[1]!.toUpperCase(),
    path: m[2]!,
  }));
}

// ---- what the docs say -----------------------------------------------------

/** `/v1/x/:id`, `/v1/x/{id}`, `/v1/x/<id>` and `/v1/x/*` all become `/v1/x/{}`; a query or `[…]` suffix is dropped. */
export function normalizePath(path: string): string {
  return path
    .split(/[?[]/, 1)[0]!
    .replace(/\/+$/, '')
    .replace(/:[A-Za-z_][A-Za-z0-9_]*|\{[^}]*\}|<[^>]*>|\*/g, '{}');
}

/** Every "METHOD /path" a document mentions, normalized. */
export function documentedRoutes(doc: string): Set<string> {
  return new Set([...doc.matchAll(/\b(GET|POST|PUT|DELETE|PATCH)\s+(\/[^\s`|),]*)/g)].map((m) => `${m[1]} ${normalizePath(m[2]!)}`));
}

/** Routes with no "METHOD /path" in `doc`; GET routes outside /v1 (probes, documents) may be shown as a path alone, e.g. `$TS/healthz`. */
export function missingRoutes(routes: readonly Route[], doc: string): string[] {
  const documented = documentedRoutes(doc);
  return routes
    .filter((r) => {
      const key = `${r.method} ${normalizePath(r.path)}`;
      if (documented.has(key)) return false;
      if (r.method === 'GET' && !r.path.startsWith('/v1') && new RegExp(`[\\s\`$A-Za-z}]${escape(r.path)}(?![A-Za-z0-9/_-])`).test(doc)) return false;
      return true;
    })
    .map((r) => `${r.method} ${r.path}`);
}

/** Error codes not written as `CODE` in `doc`. */
export function missingCodes(codes: readonly string[], doc: string): string[] {
  return codes.filter((c) => !doc.includes(`\`${c}\``));
}

/**
 * Variables not in `doc` as `NAME`; a row such as `KDI_TS_MAX_ROW_BYTES`,
 * `…_COLUMN_BYTES` names KDI_TS_MAX_COLUMN_BYTES through the prefix of the
 * first name before its last segments.
 */
export function missingVariables(names: readonly string[], doc: string): string[] {
  const documented = new Set([...doc.matchAll(/`(KDI_[A-Z0-9_]+)`/g)].map((m) => m[1]!));
  for (const line of doc.split('\n')) {
    const first = /`(KDI_[A-Z0-9_]+)`/.exec(line)?.[1];
    if (first === undefined) continue;
    for (const m of line.matchAll(/`…(_[A-Z0-9_]+)`/g)) {
      // Replace as many trailing segments of the first name as the elided one has.
      const tail = m[1]!.split('_').filter(Boolean);
      const head = first.split('_').slice(0, -tail.length).join('_');
      documented.add(`${head}${m[1]}`);
    }
  }
  return names.filter((n) => !documented.has(n));
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---- the checks ------------------------------------------------------------

describe('docs/ say what the code defines', () => {
  const operations = read('docs/operations.md');

  it('every error code of the catalogue is in docs/api.md', () => {
    const codes = Object.keys(ERROR_CATALOGUE);
    expect(codes.length).toBeGreaterThan(10);
    expect(missingCodes(codes, read('docs/api.md'))).toEqual([]);
  });

  for (const app of apps()) {
    const appDoc = APP_DOCS[app];

    it(`apps/${app}: has a document of its own in docs/ (APP_DOCS)`, () => {
      expect(appDoc !== undefined && existsSync(join(repo, appDoc)), `add apps/${app}'s doc to APP_DOCS and write it`).toBe(true);
    });

    it(`apps/${app}: every KDI_* variable of src/config.ts is in docs/operations.md or ${appDoc}`, () => {
      const names = configVariables(read(`apps/${app}/src/config.ts`));
      expect(names.length, "no `name: 'KDI_…'` entries found in config.ts: teach this test the new form").toBeGreaterThan(3);
      expect(missingVariables(names, `${operations}\n${read(appDoc!)}`)).toEqual([]);
    });

    it(`apps/${app}: every route of src/routes is in docs/ as "METHOD /path"`, () => {
      const routes = tsFiles(join(repo, 'apps', app, 'src', 'routes')).flatMap((f) => registeredRoutes(readFileSync(f, 'utf8')));
      expect(routes.length, 'no app.get(…)/app.post(…) registrations found in src/routes: teach this test the new form').toBeGreaterThan(3);
      const docs = readdirSync(join(repo, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => read(`docs/${f}`))
        .join('\n');
      expect(missingRoutes(routes, docs)).toEqual([]);
    });
  }
});

describe('the drift checks report what is missing', () => {
  it('reports a made-up error code and accepts a documented one', () => {
    const doc = '| `NOT_FOUND` | 404 | unknown table |';
    expect(missingCodes(['NOT_FOUND', 'MADE_UP_CODE'], doc)).toEqual(['MADE_UP_CODE']);
    expect(missingCodes(['NOT_FOUND'], 'NOT_FOUND without backticks is prose, not the catalogue')).toEqual(['NOT_FOUND']);
  });

  it('reads config variables from EnvVariable entries and reports a made-up one', () => {
    const source = "const ENV = [\n  { name: 'KDI_TS_HOST', path: ['host'] },\n  { name: \"KDI_TS_MAX_ROW_BYTES\", path: ['limits', 'maxRowBytes'], number: true },\n];";
    expect(configVariables(source)).toEqual(['KDI_TS_HOST', 'KDI_TS_MAX_ROW_BYTES']);
    const doc = '| `KDI_TS_HOST`, `KDI_TS_PORT` | … |\n| `KDI_TS_MAX_ROW_BYTES`, `…_COLUMN_BYTES`, `…_REQUEST_BYTES` | 4 KiB |';
    expect(missingVariables(['KDI_TS_HOST', 'KDI_TS_PORT', 'KDI_TS_MAX_COLUMN_BYTES', 'KDI_TS_MAX_REQUEST_BYTES', 'KDI_TS_MADE_UP'], doc)).toEqual(['KDI_TS_MADE_UP']);
  });

  it('reads routes from registrations and reports a made-up one', () => {
    const source = "app.get(\n    '/v1/files/*',\n    { schema },\n  );\n  app.post('/v1/sessions/:sessionId/keepalive', h);\n  app.delete<{ Params: P }>('/v1/made-up/:id', h);";
    const routes = registeredRoutes(source);
    expect(routes).toEqual([
      { method: 'GET', path: '/v1/files/*' },
      { method: 'POST', path: '/v1/sessions/:sessionId/keepalive' },
      { method: 'DELETE', path: '/v1/made-up/:id' },
    ]);
    const doc = '```\nGET /v1/files/{path}?encoding=base64\nPOST /v1/sessions/{id}/keepalive\n```\ncurl -s $TS/healthz';
    expect(missingRoutes(routes, doc)).toEqual(['DELETE /v1/made-up/:id']);
    expect(
      missingRoutes(
        [
          { method: 'GET', path: '/healthz' },
          { method: 'GET', path: '/readyz' },
        ],
        doc,
      ),
    ).toEqual(['GET /readyz']);
    expect(missingRoutes([{ method: 'POST', path: '/v1/files/*' }], doc)).toEqual(['POST /v1/files/*']);
  });
});
