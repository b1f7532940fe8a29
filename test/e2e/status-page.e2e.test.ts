// The status page in a real browser (Debian's Chromium, driven by playwright-core) against the
// real apiserver and reconciler: a tenant signs in with its ServiceAccount's token (TokenReview),
// sees only the GitSources RBAC lets it get (SubjectAccessReview), watches a manual change be
// reverted without reloading (Server-Sent Events), and markup put into the cluster stays text.
// Screenshots go to test-artifacts/ (README "Status page").
import t from 'tap';
import { gitOpsFixture } from '../support/e2e.js';
import { artifactPath, launchChromium } from '../support/browser.js';
import { waitFor } from '../support/processes.js';
import { configMap, startTestReconciler } from '../support/reconciler.js';
import { registerWebhooks, startTestWebhook } from '../support/webhook.js';
import {
  gitSourceManifest,
  installGitSourceApi,
  mustKubectl,
  trustingNamespace,
} from '../support/gitsources.js';

const { cp, git, signer } = await gitOpsFixture(t);
const must = mustKubectl(cp);
await installGitSourceApi(cp);
const repo = await git.createRepo('apps');
const b64 = (s: string) => Buffer.from(s).toString('base64');
const commit = await repo.commit(
  {
    'app/settings.yaml': configMap('settings', { v: '1' }),
    'app/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: ${b64('git-pass')}\n`,
  },
  { signer },
);
for (const ns of ['team-a', 'team-b']) {
  await trustingNamespace(cp, ns, signer);
  await must(
    ['apply', '-f', '-'],
    gitSourceManifest(ns, 'web', { repoURL: repo.url, path: 'app', interval: '1h' }),
  );
}
// Behind an authenticating proxy too: its headers trusted from loopback (a sidecar's address).
const rec = await startTestReconciler(
  cp,
  [],
  {
    gitSources: { enabled: true },
    ui: { proxyAuth: { trustedProxies: ['127.0.0.1', '::ffff:127.0.0.1'] } },
  },
  { autoStart: true },
);
t.teardown(() => rec.stop());
for (const ns of ['team-a', 'team-b'])
  await must(['wait', '--for=condition=Ready', 'gitsource/web', '-n', ns, '--timeout=120s']);

/** A Role allowing `verb` on `resource` in `ns`, bound to `subject` (a kubectl flag). */
const grant = async (ns: string, role: string, verb: string, resource: string, subject: string) => {
  await must(['create', 'role', role, '-n', ns, `--verb=${verb}`, `--resource=${resource}`]);
  await must(['create', 'rolebinding', role, '-n', ns, `--role=${role}`, subject]);
};

// team-a's viewer may get team-a's GitSources, nothing else.
await must(['create', 'serviceaccount', 'viewer', '-n', 'team-a']);
await grant(
  'team-a',
  'gitsource-read',
  'get',
  'gitsources.driftgate.io',
  '--serviceaccount=team-a:viewer',
);
// …and read its Events (the webhook's denials among them).
await grant('team-a', 'events-read', 'list', 'events', '--serviceaccount=team-a:viewer');
const token = (await must(['create', 'token', 'viewer', '-n', 'team-a'])).trim();

// The webhook with the built-in library, recording its denials as Events.
const wh = await startTestWebhook(undefined, {
  kubeconfig: cp.kubeconfigs.admin,
  denialEvents: true,
});
t.teardown(() => wh.stop());
await registerWebhooks(cp, wh.url, wh.handle.caBundle());
t.teardown(async () => {
  await cp.kubectl([
    'delete',
    'validatingwebhookconfiguration,mutatingwebhookconfiguration',
    'driftgate',
  ]);
});
const privileged = (ns: string) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'root-shell', namespace: ns },
    spec: {
      selector: { matchLabels: { app: 'root-shell' } },
      template: {
        metadata: { labels: { app: 'root-shell' } },
        spec: {
          containers: [{ name: 'c', image: 'busybox:1.36', securityContext: { privileged: true } }],
        },
      },
    },
  });

const browser = await launchChromium();
t.teardown(() => browser.close());
const page = await browser.newPage();
// Any script the page ran from data would set this; none may.
await page.addInitScript('window.injected = false;');

t.test('a wrong token is refused on the page', async (t) => {
  await page.goto(`${rec.url}/ui`);
  await page.fill('#token', 'not-a-token');
  await page.click('button[type=submit]');
  t.match(await page.textContent('[role=alert]'), 'not a valid Kubernetes token');
});

t.test("a tenant signs in and sees its team's GitSources only", async (t) => {
  await page.goto(`${rec.url}/ui`);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('tr[data-source="team-a.web"]');
  t.equal(await page.textContent('#user'), 'system:serviceaccount:team-a:viewer');
  t.equal(await page.locator('tr[data-source="team-b.web"]').count(), 0, "team-b's is not shown");
  t.equal(await page.textContent('tr[data-source="team-a.web"] .state'), 'Synced');
  await page.waitForFunction("document.getElementById('live').textContent.startsWith('live')");
  // The commit-to-applied timeline: this commit, and how long after it was made it applied.
  t.match(
    await page.textContent('tr.details li.activity.applied'),
    new RegExp(`commit ${commit.slice(0, 12)} applied: committed \\S+, applied \\d+\\.\\d s later`),
  );
  await page.screenshot({ path: artifactPath('status-page.png'), fullPage: true });
});

t.test('a manual change and its revert appear without a reload; markup stays text', async (t) => {
  const hostile = '<img src=x onerror="window.injected=true">';
  const before = Date.now();
  await must([
    'patch',
    'configmap',
    'settings',
    '-n',
    'team-a',
    '--type=merge',
    '-p',
    JSON.stringify({ data: { v: hostile } }),
  ]);
  const line = page.locator('li.activity.reverted', { hasText: 'ConfigMap team-a/settings' });
  await line.first().waitFor({ timeout: 60_000 });
  t.comment(`manual change to the revert shown on the page: ${Date.now() - before} ms`);
  t.match(await line.first().textContent(), 'manual change reverted to Git');
  t.match(await line.first().textContent(), 'live "<img src=x onerror=', 'the live value, as text');
  t.equal(await page.locator('tbody img').count(), 0, 'no element made from the data');
  t.equal(await page.evaluate('window.injected'), false, 'no script from the data ran');
  await waitFor(
    'the ConfigMap is back',
    async () =>
      (await must(['get', 'configmap', 'settings', '-n', 'team-a', '-o', 'jsonpath={.data.v}'])) ===
      '1',
    60_000,
  );
  await page.screenshot({ path: artifactPath('status-page-revert.png'), fullPage: true });
});

t.test(
  "a denied kubectl write appears with its message, in the viewer's namespaces only",
  async (t) => {
    for (const ns of ['team-b', 'team-a']) {
      const r = await cp.kubectl(['apply', '-f', '-'], { input: privileged(ns) });
      t.match(r.stderr, 'denied the request: driftgate policy: [security/disallow_privileged]', ns);
    }
    const item = page.locator('#denials li.denial', { hasText: 'Deployment team-a/root-shell' });
    await item.first().waitFor({ timeout: 60_000 });
    t.match(
      await item.first().textContent(),
      'CREATE denied: driftgate policy: [security/disallow_privileged]',
    );
    t.equal(
      await page.locator('#denials li.denial', { hasText: 'team-b' }).count(),
      0,
      "team-b's denial is not the viewer's to see",
    );
    await page.screenshot({ path: artifactPath('status-page-denial.png'), fullPage: true });
  },
);

t.test("a Secret's manual change is shown reverted, its values never", async (t) => {
  await must([
    'patch',
    'secret',
    'db',
    '-n',
    'team-a',
    '--type=merge',
    '-p',
    JSON.stringify({ data: { password: b64('leaked-pass') } }),
  ]);
  const line = page.locator('li.activity.reverted', { hasText: 'Secret team-a/db' });
  await line.first().waitFor({ timeout: 60_000 });
  const text = (await page.textContent('body')) ?? '';
  for (const v of ['git-pass', 'leaked-pass', b64('git-pass'), b64('leaked-pass')])
    t.notMatch(text, v, `${v} is not on the page`);
  t.match(await line.first().textContent(), '/data/password');
});

t.test('a break-glass in effect is shown with its countdown', async (t) => {
  const expires = new Date(Date.now() + 30 * 60_000).toISOString();
  await must([
    'annotate',
    'configmap',
    'settings',
    '-n',
    'team-a',
    // The reason is an annotation anyone with patch rights writes: markup in it stays text.
    'driftgate.io/break-glass=incident 42 <script>window.injected=true</script>',
    `driftgate.io/break-glass-expires=${expires}`,
  ]);
  t.teardown(() =>
    must([
      'annotate',
      'configmap',
      'settings',
      '-n',
      'team-a',
      'driftgate.io/break-glass-',
      'driftgate.io/break-glass-expires-',
    ]),
  );
  const glass = page.locator('li.glass', { hasText: 'ConfigMap team-a/settings' });
  await glass.first().waitFor({ timeout: 60_000 });
  t.match(await glass.first().textContent(), 'break-glass until');
  t.match(await glass.first().textContent(), '(incident 42 <script>window.injected=true</script>)');
  t.equal(
    await page.locator('li.glass script').count(),
    0,
    'no script element from the annotation',
  );
  t.equal(await page.evaluate('window.injected'), false);
  await page.waitForFunction(
    "/\\((29|30)m \\d+s left\\)/.test(document.querySelector('li.glass .countdown').textContent)",
  );
  t.pass('the countdown runs on the page');
});

t.test('every text on the page has WCAG AA contrast (4.5:1)', async (t) => {
  // For each element with text: its colour against the first opaque background up the tree.
  const worst = (await page.evaluate(`(() => {
    const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const bg = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    let min = 21, what = '';
    for (const el of document.querySelectorAll('body *')) {
      if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
      const a = lum(rgb(getComputedStyle(el).color).slice(0, 3)), b = lum(bg(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < min) { min = ratio; what = el.tagName + '.' + el.className; }
    }
    return [min, what];
  })()`)) as [number, string];
  t.ok(worst[0] >= 4.5, `lowest contrast ${worst[0].toFixed(2)} (${worst[1]})`);
});

t.test('the page is keyboard-usable: sign out by Tab and Enter', async (t) => {
  await page.focus('body');
  await page.keyboard.press('Tab');
  t.equal(await page.evaluate('document.activeElement.textContent'), 'Sign out');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#token');
  t.equal(await page.locator('tr[data-source]').count(), 0, 'signed out: nothing shown');
});

t.test("behind the platform's OIDC proxy: its user and groups, checked by RBAC", async (t) => {
  await grant('team-b', 'gitsource-read', 'get', 'gitsources.driftgate.io', '--group=team-b-devs');
  const as = (groups: string) =>
    fetch(`${rec.url}/ui`, {
      headers: { 'x-forwarded-user': 'dana@example.com', 'x-forwarded-groups': groups },
    }).then((r) => r.text());
  const member = await as('staff,team-b-devs');
  t.match(member, 'Signed in as <span id="user">dana@example.com</span>');
  t.match(member, 'data-source="team-b.web"', "a team-b-devs member sees team-b's GitSource");
  t.notMatch(member, 'team-a.web');
  const outsider = await as('staff');
  t.notMatch(outsider, 'data-source=', 'without the group, nothing');
});
