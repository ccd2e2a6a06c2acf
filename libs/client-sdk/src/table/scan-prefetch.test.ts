// Table.scanPages asks for the next page before handing out the current one
// (table.ts). A prefetched page that fails while the caller is still busy
// with the current page must not become an unhandled rejection: the error
// belongs to the caller's next step (or to nobody, if the caller stops).
// The caller's signal ends the scan, prefetch included, and keeps nothing
// of it afterwards (a long-lived signal bounds many scans).

import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CELL_BLOCK_MIME_TYPE, encodeCellBlock, END_HEADER, RESUME_HEADER, SCAN_TXN_HEADER } from '@kdi/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { connect } from '../index.js';

let server: Server;
let url: string;
let scans = 0;
/** What the second page does: break the contract at once, or never come. */
let secondPage: 'broken' | 'hangs' = 'broken';
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

beforeEach(async () => {
  scans = 0;
  secondPage = 'broken';
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
  // Page 1 is fine and not the end; page 2 breaks the contract (no headers): INTERNAL, not retried.
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      scans++;
      if (scans === 1) {
        res.writeHead(200, { 'content-type': CELL_BLOCK_MIME_TYPE, [SCAN_TXN_HEADER]: '5', [END_HEADER]: 'false', [RESUME_HEADER]: 'r1' });
        res.end(Buffer.from(encodeCellBlock([])));
      } else if (secondPage === 'broken') {
        res.writeHead(200, { 'content-type': CELL_BLOCK_MIME_TYPE });
        res.end(Buffer.from(encodeCellBlock([])));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  process.off('unhandledRejection', onUnhandled);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it('a prefetched page that fails while the caller works on the current page is not an unhandled rejection; the caller gets it next', async () => {
  const kdi = await connect({ servers: [url], singleServer: true });
  try {
    const pages = kdi.table('t').scanPages();
    const first = await pages.next();
    expect(first.done).toBe(false);
    await new Promise((r) => setTimeout(r, 200)); // the caller works on page 1; page 2 fails meanwhile
    expect(unhandled).toEqual([]);
    await expect(pages.next()).rejects.toMatchObject({ code: 'INTERNAL' });
  } finally {
    await kdi.close();
  }
});

it('a caller that stops after the first page leaves no unhandled rejection', async () => {
  const kdi = await connect({ servers: [url], singleServer: true });
  try {
    for await (const page of kdi.table('t').scanPages()) {
      void page;
      await new Promise((r) => setTimeout(r, 200));
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  } finally {
    await kdi.close();
  }
});

/** What `signal` keeps of signals joined to it with AbortSignal.any (Node 20's internal set; 0 where there is none). */
function dependants(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
  const set = key === undefined ? undefined : (signal as unknown as Record<symbol, Set<unknown> | undefined>)[key];
  return set?.size ?? 0;
}

it('a long-lived caller signal keeps nothing of the scans it bounded', async () => {
  const kdi = await connect({ servers: [url], singleServer: true });
  const shutdown = new AbortController();
  try {
    for (let i = 0; i < 3; i++) {
      scans = 0; // page 1 again (not the end), then page 2 fails
      await expect(
        (async () => {
          for await (const page of kdi.table('t').scanPages(undefined, { signal: shutdown.signal })) void page;
        })(),
      ).rejects.toMatchObject({ code: 'INTERNAL' });
    }
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
    expect(dependants(shutdown.signal)).toBe(0);
  } finally {
    await kdi.close();
  }
});

it("the caller's signal ends the scan: aborted before it starts, or while the next page is on its way", async () => {
  const kdi = await connect({ servers: [url], singleServer: true });
  try {
    secondPage = 'hangs';
    const drain = async (signal: AbortSignal) => {
      for await (const page of kdi.table('t').scanPages(undefined, { signal })) void page;
    };
    await expect(drain(AbortSignal.abort())).rejects.toMatchObject({ code: 'CANCELLED' });
    const stop = new AbortController();
    const pages = kdi.table('t').scanPages(undefined, { signal: stop.signal });
    expect((await pages.next()).done).toBe(false);
    const second = pages.next();
    stop.abort();
    await expect(second).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  } finally {
    await kdi.close();
  }
});
