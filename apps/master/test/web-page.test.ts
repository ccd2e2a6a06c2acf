// The master's web page in a real cluster (issue 10 point 5): a lock
// server, two tablet servers and a master as processes; the page at / is
// loaded in headless Chromium (Debian's `chromium`, driven by
// playwright-core) and what it shows is checked against the master's API:
// the server ids, each server's tablet count, and every data directory with
// its KDI bytes (heartbeat figures), the table with its tablets (ranges —
// including split rows that look like markup and bytes that are not
// UTF-8 —, ids and locations), the events; the migration and balancer
// sections either render or say "not available on this master". Then a
// second table is created and appears without a reload; a standby's page
// says it is one and links the active master; when the master stops, the
// page keeps its last figures and says so. A screenshot of
// the page is written to a PNG whose path is printed (KDI_WEB_SCREENSHOT
// sets it) so a person can look.
//
// The page's routes (headers, unknown files) are checked without a
// browser; the browser part is skipped, saying why, only when no Chromium
// is installed (.ci/run installs it when apt-get can).

import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedLockServer, type RunningLockServer } from '@kdi/client-sdk/test-support';
import type { ServiceProcess } from '@kdi/service-kit/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allServing, call, startMaster, startTabletServer, tempDir, waitFor } from './cluster.js';

const CHROMIUM = [process.env['KDI_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p !== undefined && p !== '' && existsSync(p));
const SKIP_REASON = 'no Chromium installed (looked for $KDI_CHROMIUM, /usr/bin/chromium, /usr/bin/chromium-browser): install it with `apt-get install -y chromium`';
if (CHROMIUM === undefined) console.warn(`web-page.test.ts: the browser tests are SKIPPED: ${SKIP_REASON}`);

// Functions passed to the page run there (its Content-Security-Policy forbids eval, so no string
// predicates, and they are sent as source: no closures); this project's types have no DOM, so they
// reach the page's globals as `(globalThis as any)`.

let lock: RunningLockServer;
const servers = new Map<string, ServiceProcess>();
let master: ServiceProcess;
let standby: ServiceProcess | undefined;
let masterUrl: string;
let dir: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir('kdi-web-');
  lock = await startEmbeddedLockServer();
  for (const id of ['ts1', 'ts2']) servers.set(id, await startTabletServer(id, `${dir.path}/${id}`, lock.url));
  master = await startMaster(lock.url, { KDI_MASTER_HEARTBEAT_INTERVAL_MS: '300' });
  masterUrl = master.url;
  await waitFor('META assigned', async () => (await call('GET', `${masterUrl}/v1/meta/location`)).body.location);
}, 120_000);

afterAll(async () => {
  await standby?.stop();
  await master?.stop();
  for (const s of servers.values()) await s.stop();
  await lock?.close();
  await dir?.remove();
});

describe('the web page routes', () => {
  it('serves the page at / and its files under /web/ with a strict Content-Security-Policy', async () => {
    const page = await fetch(`${masterUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/web/dashboard.js"></script>');
    const js = await fetch(`${masterUrl}/web/dashboard.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${masterUrl}/web/dashboard.css`)).headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('answers 404 NOT_FOUND naming the files for anything else under /web/', async () => {
    for (const name of ['nope.js', '..%2Fapp.ts', 'render.test.ts', 'index.html']) {
      const r = await call('GET', `${masterUrl}/web/${name}`);
      expect(r.status, name).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
      expect(r.body.error.message).toContain('dashboard.js');
    }
  });
});

describe.skipIf(CHROMIUM === undefined)(`the web page in headless Chromium${CHROMIUM === undefined ? ` (skipped: ${SKIP_REASON})` : ''}`, () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, colorScheme: 'light' });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      // A master without the migration or balancer routes answers them 404: the page expects that.
      if (/\/v1\/(migrations|balancer\/decisions)/.test(m.location().url) && m.text().includes('404')) return;
      problems.push(`console error: ${m.text()} (${m.location().url})`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** The page's count of completed refreshes. */
  const refreshes = async () => Number((await page.getAttribute('body', 'data-refreshes')) ?? '0');
  /** Waits for a refresh that started after this call. */
  async function nextRefreshes(n = 2): Promise<void> {
    const start = await refreshes();
    await page.waitForFunction((want) => Number((globalThis as any).document.body.dataset.refreshes ?? '0') >= want, start + n, { timeout: 30_000 });
  }

  it('shows the servers, their disks, the table and its tablets as the API reports them', async () => {
    const splitRows = ['g', 'n', '<b>bold</b>'];
    expect((await call('POST', `${masterUrl}/v1/tables`, { name: 'people', splits: splitRows })).status).toBe(201);
    const people = await allServing(masterUrl, 'people');
    // The master's server list counts the four tablets (from META) and has each server's disks (from heartbeats).
    await waitFor('the server list with the tablets and the disks', async () => {
      const list = (await call('GET', `${masterUrl}/v1/servers`)).body.servers as Array<{ tablets: number; disks: unknown[] }>;
      const total = list.reduce((s, x) => s + x.tablets, 0);
      return list.length === 2 && list.every((s) => s.disks.length > 0) && total === 4 ? true : undefined;
    });

    await page.goto(`${masterUrl}/?refresh=0.5`);
    await page.waitForFunction(() => Number((globalThis as any).document.body.dataset.refreshes ?? '0') >= 1, undefined, { timeout: 30_000 });
    await page.evaluate(() => ((globalThis as any).kdiLoadedOnce = 1)); // gone if the page reloads

    // Servers: the ids, and each one's tablet count equal to the master's (from heartbeats), retried over refreshes.
    await waitFor(
      'the servers section to match GET /v1/servers',
      async () => {
        const api = (await call('GET', `${masterUrl}/v1/servers`)).body.servers as Array<{ serverId: string; tablets: number; state: string }>;
        const shown = await page.$$eval('#servers tr[data-server-id]', (rows) =>
          rows.map((r) => `${r.getAttribute('data-server-id')}:${r.querySelector('[data-field="tablets"]')?.textContent}`),
        );
        const want = api.map((s) => `${s.serverId}:${s.tablets}`).sort();
        return JSON.stringify([...shown].sort()) === JSON.stringify(want) ? want : undefined;
      },
      30_000,
    );
    expect(await page.$$eval('#servers tr[data-server-id]', (rows) => rows.map((r) => r.getAttribute('data-server-id')).sort())).toEqual(['ts1', 'ts2']);
    expect(await page.textContent('#servers')).toContain('live');

    // Disks: every data directory of every server, with its KDI bytes as the heartbeat reported them.
    await waitFor(
      'the disks section to match the heartbeats',
      async () => {
        const api = (await call('GET', `${masterUrl}/v1/servers`)).body.servers as Array<{ serverId: string; disks: Array<{ path: string; kdiBytes: number }> }>;
        const want = api.flatMap((s) => s.disks.map((d) => `${s.serverId}|${d.path}|${d.kdiBytes} bytes`)).sort();
        const shown = await page.$$eval('#disks tr[data-disk]', (rows) =>
          rows.map((r) => `${r.getAttribute('data-server-id')}|${r.getAttribute('data-disk')}|${r.querySelector('[data-field="kdiBytes"]')?.getAttribute('title')}`),
        );
        return want.length > 0 && JSON.stringify(shown.sort()) === JSON.stringify(want) ? want : undefined;
      },
      30_000,
    );
    expect(await page.$$eval('#disks .seg', (segs) => segs.every((s) => (s as unknown as { style: { width: string } }).style.width.endsWith('%')))).toBe(true);

    // The table and its tablets: count, ids, locations and ranges; the markup-looking split row is text.
    const table = page.locator('#tables details[data-table="people"]');
    expect(await table.locator('summary [data-field="tablets"]').textContent()).toBe('4');
    const rows = await table
      .locator('tr.tablet')
      .evaluateAll((trs) => trs.map((tr) => ({ id: tr.getAttribute('data-tablet-id'), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '') })));
    expect(rows.map((r) => r.id)).toEqual(people.tablets.map((t: { tabletId: string }) => t.tabletId));
    expect(rows.map((r) => r.cells[0])).toEqual(["(−∞, '<b>bold</b>']", "('<b>bold</b>', 'g']", "('g', 'n']", "('n', +∞]"]);
    expect(rows.map((r) => r.cells[2]!.split(' ')[0])).toEqual(people.tablets.map((t: { location: { serverId: string } }) => t.location.serverId));
    expect(rows.every((r) => r.cells[3]!.startsWith('serving'))).toBe(true);
    expect(await page.locator('#tables b').count()).toBe(0);

    // A table the person folds stays folded across refreshes, and unfolds again.
    await table.locator('summary').click();
    await nextRefreshes();
    expect(await table.getAttribute('open')).toBeNull();
    await table.locator('summary').click();
    await nextRefreshes();
    expect(await table.getAttribute('open')).toBe('');
    expect(await table.locator('tr.tablet').count()).toBe(4);

    // The header's counts; events; the newer sections render or say they are not available.
    expect(await page.textContent('#master [data-field="role"]')).toBe('active');
    expect(await page.textContent('#master [data-field="tables"]')).toBe('1');
    expect(await page.textContent('#master [data-field="meta"]')).toBe((await call('GET', `${masterUrl}/v1/meta/location`)).body.location.serverId);
    expect(await page.textContent('#events')).toContain('table-created');
    for (const id of ['moves', 'decisions']) {
      const shown = (await page.textContent(`#${id}`)) ?? '';
      expect(shown, id).toMatch(/Not available on this master|In progress|no decision yet|from → to/);
      expect(await page.locator(`#${id} .error`).count(), id).toBe(0);
    }
    expect(problems).toEqual([]);
  }, 180_000);

  it('refreshes itself: a table created meanwhile appears without a reload, its bounds shown as bytes', async () => {
    const created = await call('POST', `${masterUrl}/v1/tables`, { name: 'orders', splits: [Buffer.from([0xff, 0x00]).toString('base64')], encoding: 'base64' });
    expect(created.status).toBe(201);
    await allServing(masterUrl, 'orders');
    const orders = page.locator('#tables details[data-table="orders"]');
    await orders.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#tables details[data-table="orders"] tr.tablet.serving').length === 2, undefined, {
      timeout: 30_000,
    });
    expect(await orders.locator('summary [data-field="tablets"]').textContent()).toBe('2');
    expect(await orders.locator('tr.tablet td.range').allTextContents()).toEqual(["(−∞, '\\xff\\x00']", "('\\xff\\x00', +∞]"]);
    await nextRefreshes();
    expect(await page.textContent('#master [data-field="tables"]')).toBe('2');
    expect(await page.evaluate(() => (globalThis as any).kdiLoadedOnce)).toBe(1); // the same document: no reload
    expect(problems).toEqual([]);

    const path = process.env['KDI_WEB_SCREENSHOT'] ?? join(tmpdir(), `kdi-master-page-${process.pid}.png`);
    await page.screenshot({ path, fullPage: true });
    console.log(`web-page.test.ts: screenshot of the master's page written to ${path}`);
    expect(existsSync(path)).toBe(true);
  }, 120_000);

  it("a standby master's page says it is a standby and links the active master", async () => {
    standby = await startMaster(lock.url);
    const other = await browser.newPage();
    try {
      await other.goto(`${standby.url}/`);
      await other.waitForFunction(() => Number((globalThis as any).document.body.dataset.refreshes ?? '0') >= 1, undefined, { timeout: 30_000 });
      expect(await other.textContent('#master [data-field="role"]')).toBe('standby');
      expect(await other.textContent('#tables')).toContain('This master is a standby');
      expect(await other.getAttribute('#tables a', 'href')).toBe(`${masterUrl}/`);
    } finally {
      await other.close();
    }
  }, 60_000);

  it('keeps the last figures on screen when the master stops answering, and says so', async () => {
    await master.stop();
    // While it stops the master may still answer a refresh with an error; wait until one finds nobody answering.
    await page.waitForFunction(() => ((globalThis as any).document.getElementById('refresh-status')?.textContent ?? '').includes('retrying'), undefined, { timeout: 30_000 });
    expect(await page.textContent('#refresh-status')).toMatch(/showing the figures of .* UTC; retrying/);
    expect(await page.textContent('#master')).toContain('unreachable');
    expect(await page.locator('#tables details[data-table="people"] tr.tablet').count()).toBe(4);
    expect(await page.locator('#servers tr[data-server-id]').count()).toBe(2);
  }, 60_000);
});
