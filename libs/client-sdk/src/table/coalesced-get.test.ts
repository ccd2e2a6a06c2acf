// Coalesced gets (table.ts get → readRows through the call coalescer)
// against a fake tablet server that answers every scan after a pause:
// each call keeps its own deadline, as an uncoalesced get does.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CELL_BLOCK_MIME_TYPE, encodeCellBlock, END_HEADER, SCAN_TXN_HEADER } from '@kdi/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect } from '../index.js';

let server: Server;
let url: string;
const REPLY_AFTER_MS = 300;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': CELL_BLOCK_MIME_TYPE, [SCAN_TXN_HEADER]: '5', [END_HEADER]: 'true' });
        res.end(Buffer.from(encodeCellBlock([])));
      }, REPLY_AFTER_MS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

for (const coalesceCalls of [false, true]) {
  it(`a get given a longer timeoutMs than the client's default gets it (coalesceCalls ${coalesceCalls})`, async () => {
    const kdi = await connect({ servers: [url], singleServer: true, timeoutMs: 100, coalesceCalls });
    try {
      expect(await kdi.table('t').get('r', { timeoutMs: 5_000 })).toEqual([]);
    } finally {
      await kdi.close();
    }
  });

  it(`a get given a shorter timeoutMs ends with DEADLINE_EXCEEDED (coalesceCalls ${coalesceCalls})`, async () => {
    const kdi = await connect({ servers: [url], singleServer: true, timeoutMs: 5_000, coalesceCalls });
    try {
      await expect(kdi.table('t').get('r', { timeoutMs: 50 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    } finally {
      await kdi.close();
    }
  });
}
