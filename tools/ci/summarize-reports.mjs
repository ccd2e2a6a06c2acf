// Adds up the vitest JSON reports of every project (written by
// vitest.shared.ts) and prints the closing "N passed, N failed" line.
// Exits non-zero when a test failed or a project wrote no report.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.reports';
let passed = 0;
let failed = 0;
let skipped = 0;
let broken = 0;
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
for (const f of files) {
  try {
    const r = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    // A test file that failed to load counts as a failure even with no test in it.
    for (const s of r.testResults ?? []) if (s.status === 'failed' && (s.assertionResults ?? []).length === 0) broken++;
  } catch (e) {
    console.error(`could not read report ${f}: ${e.message}`);
    broken++;
  }
}
if (files.length === 0) {
  console.error('no test reports were written');
  broken++;
}
failed += broken;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
