// npm run bench:status-page — the status page with 1,000 GitSources (each with 10 objects, every
// tenth drifted), served by the reconciler's own status routes in this process, loaded in
// Debian's Chromium (playwright-core): first contentful paint and the HTML's size, beside the
// JSON API (GET /status) on the same sources, and the script and style against their budget.
// TokenReview and SubjectAccessReview are a stand-in here (everyone may read everything): their
// cost is one review per namespace (test/reconciler/server/ui.test.ts), cached 10 s.

import { initialState } from '../reconciler/model/source-state.js';
import type { ControlAuth } from '../reconciler/server/control-auth.js';
import { startStatusServer } from '../test/support/status-server.js';
import { APP_CSS, APP_JS } from '../reconciler/server/ui-assets.js';
import { launchChromium } from '../test/support/browser.js';

const SOURCES = 1000;
const LOADS = 7;
const FIRST_PAINT_TARGET_MS = 1000;
const ASSET_BUDGET = 4 * 1024;

const sources = Array.from({ length: SOURCES }, (_, i) => {
  const state = {
    ...initialState(`team-${i % 20}.app-${i}`),
    syncStatus: 'Synced',
    health: 'Healthy',
  } as ReturnType<typeof initialState>;
  state.revision = 'f'.repeat(40);
  state.signer = 'ssh:sam@example.com';
  state.lastSyncedAt = new Date().toISOString();
  for (let j = 0; j < 10; j++)
    state.objects.set(`cm-${j}`, {
      ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: `team-${i % 20}`, name: `cm-${j}` },
      path: `app/cm-${j}.yaml`,
      health: 'Healthy',
      drift: i % 10 === 0 && j === 0 ? [{ path: '/data/v', declared: '1', live: '2' }] : [],
    });
  return { cfg: { name: state.name }, state };
});
const anyone: ControlAuth = async () => ({ ok: true, user: 'bench' });
const server = await startStatusServer({ sources }, { controlAuth: anyone });
const base = server.base;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

const apiTimes: number[] = [];
let apiBytes = 0;
for (let i = 0; i < LOADS; i++) {
  const t0 = performance.now();
  const body = await (
    await fetch(`${base}/status`, { headers: { authorization: 'Bearer any' } })
  ).text();
  apiTimes.push(performance.now() - t0);
  apiBytes = body.length;
}

const browser = await launchChromium();
const page = await browser.newPage();
await page.goto(`${base}/ui`);
await page.fill('#token', 'any');
await page.click('button[type=submit]');
await page.waitForSelector('tr[data-source]');
const paints: number[] = [];
let htmlBytes = 0;
for (let i = 0; i < LOADS; i++) {
  const res = await page.goto(`${base}/ui`, { waitUntil: 'load' });
  htmlBytes = (await res?.body())?.length ?? 0;
  paints.push(
    (await page.evaluate(
      "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1",
    )) as number,
  );
}
const rows = await page.locator('tr[data-source]').count();
await browser.close();

// Ten pages open on nothing changing: what keeping them live costs the reconciler's thread.
const PAGES = 10;
const WINDOW_MS = 10_000;
const login = await fetch(`${base}/ui/login`, {
  method: 'POST',
  body: new URLSearchParams({ token: 'any' }),
  redirect: 'manual',
});
const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
const streams = await Promise.all(
  Array.from({ length: PAGES }, async () => {
    const ac = new AbortController();
    const res = await fetch(`${base}/ui/events`, { headers: { cookie }, signal: ac.signal });
    void (res.body as ReadableStream<Uint8Array>)
      .pipeTo(new WritableStream())
      .catch(() => undefined);
    return ac;
  }),
);
await new Promise((r) => setTimeout(r, 2000));
const cpu0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, WINDOW_MS));
const cpu = process.cpuUsage(cpu0);
streams.forEach((s) => s.abort());
server.close();
const cpuShare = (cpu.user + cpu.system) / 1000 / WINDOW_MS;

const row = (label: string, value: string, ref = '') =>
  console.log(`${label.padEnd(44)} ${value.padStart(12)}   ${ref}`);
console.log(`\nStatus page, ${SOURCES} GitSources (${rows} rows shown), median of ${LOADS} loads`);
row(
  'first contentful paint (Chromium)',
  `${median(paints).toFixed(0)} ms`,
  `target < ${FIRST_PAINT_TARGET_MS} ms`,
);
row('page HTML', `${(htmlBytes / 1024).toFixed(0)} KiB`);
row(
  `${PAGES} pages open, nothing changing`,
  `${(cpuShare * 100).toFixed(1)} % CPU`,
  'of one core: this process renders and checks each tick (500 ms)',
);
row(
  'GET /status (JSON API), the same sources',
  `${median(apiTimes).toFixed(0)} ms`,
  `${(apiBytes / 1024).toFixed(0)} KiB`,
);
row(
  'script + style (no framework, no CDN)',
  `${((APP_JS.length + APP_CSS.length) / 1024).toFixed(1)} KiB`,
  `budget ${ASSET_BUDGET / 1024} KiB`,
);
process.exit(0);
