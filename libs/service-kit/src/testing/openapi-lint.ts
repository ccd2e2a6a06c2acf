// `redocly lint` over a server's OpenAPI document (the repository's
// redocly.yaml: the recommended ruleset, which needs no network): its
// errors, as lines; warnings are allowed. Uses the @redocly/cli the
// workspace root installs (a devDependency), run with the current Node.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The redocly.yaml at the root of the workspace `from` is in. */
function configFor(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'redocly.yaml'))) return join(dir, 'redocly.yaml');
    if (dirname(dir) === dir) throw new Error(`no redocly.yaml above ${from}`);
  }
}

export interface OpenApiLintResult {
  readonly errors: string[];
  readonly warnings: string[];
}

/** Lints `doc` with redocly; `from` is a directory inside the workspace (a test's own). */
export async function lintOpenApi(doc: unknown, from: string = process.cwd()): Promise<OpenApiLintResult> {
  const cli = join(dirname(createRequire(join(from, 'x.js')).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');
  const dir = await mkdtemp(join(tmpdir(), 'kdi-openapi-lint-'));
  try {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc));
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
    const args = [cli, 'lint', file, `--config=${configFor(from)}`, '--format=json'];
    // Exit code 1 when there are errors; the report is on stdout either way.
    const out = await run(process.execPath, args, { env, maxBuffer: 64 << 20 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
    const report = JSON.parse(out.stdout.slice(out.stdout.indexOf('{'))) as {
      problems: Array<{ ruleId: string; severity: string; message: string; location?: Array<{ pointer?: string }> }>;
    };
    const line = (p: (typeof report.problems)[number]) => `${p.ruleId}: ${p.message} (${p.location?.[0]?.pointer ?? '?'})`;
    return {
      errors: report.problems.filter((p) => p.severity === 'error').map(line),
      warnings: report.problems.filter((p) => p.severity !== 'error').map(line),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
