// Part of `npm run build` (the Nx build target) of the master: copies the
// web page's files (src/web/*.js, *.css, *.html — plain browser code, no
// compile step) to dist/web, where routes/web.ts finds them when the
// master runs from dist. Tests and TypeScript files stay behind.

import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../src/web/', import.meta.url));
const to = fileURLToPath(new URL('../dist/web/', import.meta.url));
rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) {
  if (/\.(js|css|html)$/.test(name) && !name.includes('.test.')) cpSync(`${from}${name}`, `${to}${name}`);
}
