// The master's web page (docs/master.md "Web page"): GET / serves the
// static shell (src/web/index.html) and GET /web/{file} its script modules
// and stylesheet; the page itself reads the JSON API and refreshes
// (src/web/dashboard.js). Open like the other read routes.
//
// The files are read once, when the routes are registered, from the web/
// folder beside this module's folder: src/web when the master runs from
// source, dist/web after `nx build` (the build copies them: package.json
// "build"). Only plain file names of that folder with a .js, .css or .html
// extension are served; nothing from a request reaches a path. Missing
// files (a build that skipped the copy) make / answer 503 saying how to
// fix it; the master runs on. Every reply carries a Content-Security-Policy
// that allows scripts, styles and fetches from this origin only, so even a
// value a render function failed to escape could not run as script.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KdiError } from '@kdi/protocol';
import { z } from 'zod';
import type { MasterApp } from '../http/master-app.js';

const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));
const FILE_NAME = /^[a-z0-9][a-z0-9-]*\.(js|css|html)$/;
const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

const HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

interface WebFile {
  readonly body: string;
  readonly type: string;
}

/** The servable files of `dir` by name; empty when the folder is missing. */
export function readWebFiles(dir: string = WEB_DIR): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return files;
  }
  for (const name of names) {
    const m = FILE_NAME.exec(name);
    if (m === null) continue;
    files.set(name, { body: readFileSync(`${dir}${name}`, 'utf8'), type: CONTENT_TYPES[m[1]!]! });
  }
  return files;
}

const WebFileParamsSchema = z.strictObject({ file: z.string().max(100) });

export function registerWebRoutes(app: MasterApp, files: Map<string, WebFile> = readWebFiles()): void {
  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    const page = files.get('index.html');
    if (page === undefined) {
      return reply
        .code(503)
        .headers(HEADERS)
        .type('text/plain; charset=utf-8')
        .send(`The web page's files are missing from ${WEB_DIR}: build the master again (npx nx run @kdi/master:build), or run it from source.\n`);
    }
    return reply.headers(HEADERS).type(page.type).send(page.body);
  });

  app.get('/web/:file', { schema: { hide: true, params: WebFileParamsSchema } }, async (request, reply) => {
    const name = request.params.file;
    const file = name === 'index.html' ? undefined : files.get(name);
    if (file === undefined)
      throw new KdiError('NOT_FOUND', `no such file of the web page: ${JSON.stringify(name)} (see ${[...files.keys()].filter((n) => n !== 'index.html').join(', ')})`);
    return reply.headers(HEADERS).type(file.type).send(file.body);
  });
}
