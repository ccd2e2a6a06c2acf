// The `kdi` process: the only place that reads process.argv and the
// environment and touches stdin/stdout. Runs bin/kdi.mjs → dist/main.js.

import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { run } from './run.js';
import type { CliIo } from './io.js';

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  if (stream.write(text)) return Promise.resolve();
  return new Promise((resolve) => stream.once('drain', resolve));
}

// A reader that went away (`kdi scan t | head`) ends the output quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const io: CliIo = {
  out: (text) => write(process.stdout, text),
  err: (text) => void process.stderr.write(text),
  readFile: (path) => readFile(path, 'utf8'),
  confirm: process.stdin.isTTY
    ? async (question) => {
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        try {
          return /^y(es)?$/i.test((await rl.question(question)).trim());
        } finally {
          rl.close();
        }
      }
    : undefined,
  nowMicros: () => Date.now() * 1000,
  status: process.stderr.isTTY ? (line) => void process.stderr.write(`\r\x1b[2K${line}`) : undefined,
};

process.exitCode = await run(process.argv.slice(2), { KDI_MASTER: process.env['KDI_MASTER'], KDI_TOKEN: process.env['KDI_TOKEN'] }, io);
