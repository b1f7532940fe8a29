// The status page over HTTP: sign-in, RBAC filtering, escaping, the Content-Security-Policy, and
// the live feed. TokenReview and SubjectAccessReview are a stand-in here (a map of tokens to what
// they may get): test/e2e/status-page.e2e.test.ts drives the page in Chromium against the real
// apiserver's reviews.
import t from 'tap';
import { pino } from 'pino';

import { initialState, type SourceState } from '../../../reconciler/model/source-state.js';
import type { ControlAuth } from '../../../reconciler/server/control-auth.js';
import { startStatusServer } from '../../support/status-server.js';
import { readableSources } from '../../../reconciler/server/auth.js';
import type { IncomingMessage } from 'node:http';
import { escapeHtml } from '../../../reconciler/server/ui-view.js';

const HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">';
const state = (name: string): SourceState => ({
  ...initialState(name),
  syncStatus: 'Synced',
  health: 'Healthy',
  revision: 'a'.repeat(40),
  signer: 'sam@example.com',
});
const teamA = state('team-a.app');
const teamB = state('team-b.app');
teamA.lastError = `render failed: ${HOSTILE}`;
teamA.objects.set('cm', {
  ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team-a', name: 'settings' },
  path: 'app/cm.yaml',
  health: 'Healthy',
  drift: [{ path: 'metadata.annotations.note', declared: 'ok', live: HOSTILE }],
});
teamA.policyViolations.push({
  object: 'ConfigMap team-a/settings',
  policy: 'labels/required_labels',
  action: 'warn',
  message: `no owner ${HOSTILE}`,
  applied: true,
});
const sources = [teamA, teamB].map((s) => ({ cfg: { name: s.name }, state: s }));
const lastAudit = {
  violations: [
    {
      object: 'Pod team-a/x',
      policy: 'security/disallow_privileged',
      action: 'deny',
      message: 'privileged',
      source: 'team-a.app',
    },
    {
      object: 'Pod team-b/y',
      policy: 'security/disallow_privileged',
      action: 'deny',
      message: 'team-b secret finding',
      source: 'team-b.app',
    },
  ],
};
// alice may get team-a's GitSources; bob none; anything else is no token at all.
// carol may get team-b's "app" by name only (a Role with resourceNames).
const auth: ControlAuth = async (token, attrs) => {
  if (token === 'carol') {
    const r = 'resource' in attrs ? attrs.resource : undefined;
    return r?.namespace === 'team-b' && r.name === 'app'
      ? { ok: true, user: token }
      : { ok: false, code: 403, reason: 'carol may not', user: token };
  }
  if (token !== 'alice' && token !== 'bob')
    return { ok: false, code: 401, reason: 'the bearer token is not a valid Kubernetes token' };
  const ns = 'resource' in attrs ? attrs.resource.namespace : undefined;
  return token === 'alice' && ns === 'team-a'
    ? { ok: true, user: token }
    : { ok: false, code: 403, reason: `${token} may not`, user: token };
};
const server = await startStatusServer({ sources, lastAudit }, { controlAuth: auth });
t.teardown(() => server.close());
const base = server.base;

const signIn = async (token: string): Promise<Response> =>
  fetch(`${base}/ui/login`, {
    method: 'POST',
    body: new URLSearchParams({ token }),
    redirect: 'manual',
  });
const cookieOf = (res: Response): string =>
  (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

t.test('without a session: the sign-in form, under a strict CSP', async (t) => {
  const res = await fetch(`${base}/ui`);
  t.equal(res.status, 200);
  t.equal(
    res.headers.get('content-security-policy'),
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  t.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const html = await res.text();
  t.match(html, '<form method="post" action="/ui/login">');
  t.notMatch(html, /<script(?![^>]*\ssrc=)/, 'no inline script');
  t.equal((await fetch(`${base}/ui/events`)).status, 401, 'no feed without a session');
});

t.test('a wrong token is refused with the reason; a valid one gets a session', async (t) => {
  const bad = await signIn('forged');
  t.equal(bad.status, 401);
  t.match(await bad.text(), 'the bearer token is not a valid Kubernetes token');
  t.equal(bad.headers.get('set-cookie'), null);
  const ok = await signIn('alice');
  t.equal(ok.status, 303);
  t.equal(ok.headers.get('location'), '/ui');
  t.match(
    ok.headers.get('set-cookie'),
    /^dg_session=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\/ui; Max-Age=28800$/,
  );
});

t.test('a viewer sees only the sources RBAC lets it get, every value escaped', async (t) => {
  const alice = cookieOf(await signIn('alice'));
  const html = await (await fetch(`${base}/ui`, { headers: { cookie: alice } })).text();
  t.match(html, 'data-source="team-a.app"');
  t.notMatch(html, 'team-b.app', "team-b's source is not shown to alice");
  t.notMatch(html, '<script>alert', 'markup from the cluster is not markup');
  t.notMatch(html, '<img src=x');
  t.match(
    html,
    `<li class="error">render failed: ${escapeHtml(HOSTILE)}</li>`,
    'the error, as text',
  );
  t.match(html, escapeHtml('live "<script>alert(1)</script>'), 'the diff, as text');
  t.match(html, 'ConfigMap team-a/settings (app/cm.yaml) drifted');
  t.match(
    html,
    `<li class="finding gate">pre-apply gate: [labels/required_labels] (warn) ConfigMap team-a/settings: no owner ${escapeHtml(HOSTILE)}</li>`,
  );
  t.match(
    html,
    '<li class="finding audit">audit: [security/disallow_privileged] (deny) Pod team-a/x: privileged</li>',
  );
  t.notMatch(html, 'team-b secret finding', "another team's audit finding is not shown");
  t.match(
    html,
    '<details><summary>1 objects</summary><ul><li>ConfigMap team-a/settings: Healthy</li></ul></details>',
  );
  t.match(html, '<td>2</td><td>—</td></tr>', 'two findings counted');
  const carol = cookieOf(await signIn('carol'));
  const named = await (await fetch(`${base}/ui`, { headers: { cookie: carol } })).text();
  t.match(named, 'data-source="team-b.app"', 'a grant by name shows that source');
  t.notMatch(named, 'team-a.app');
  const bob = cookieOf(await signIn('bob'));
  const none = await (await fetch(`${base}/ui`, { headers: { cookie: bob } })).text();
  t.match(none, 'Signed in as <span id="user">bob</span>');
  t.equal(/data-source=/.exec(none), null, 'bob may get no GitSource: no row');
});

/** Read Server-Sent Events from `res` until `until` holds for one. */
async function nextEvent(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  until: (data: { html: string }) => boolean,
): Promise<{ html: string }> {
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the feed ended');
    buf += new TextDecoder().decode(value);
    for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (/^event: sources$/m.test(block) && data) {
        const parsed = JSON.parse(data) as { html: string };
        if (until(parsed)) return parsed;
      }
    }
  }
}

t.test('the feed sends the rows as they change', async (t) => {
  const alice = cookieOf(await signIn('alice'));
  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const res = await fetch(`${base}/ui/events`, { headers: { cookie: alice }, signal: ac.signal });
  t.equal(res.headers.get('content-type'), 'text/event-stream');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const first = await nextEvent(reader, () => true);
  t.match(first.html, 'data-source="team-a.app"');
  t.notMatch(first.html, 'team-b.app');
  // The drift is reverted: the next event says so, without the page asking.
  const cm = teamA.objects.get('cm');
  if (cm) teamA.objects.set('cm', { ...cm, drift: [] });
  teamA.lastError = undefined;
  const reverted = await nextEvent(reader, (d) => !d.html.includes('drifted'));
  t.notMatch(reverted.html, 'drifted');
  t.match(reverted.html, '<td class="health healthy">Healthy</td><td>1</td><td>0</td>');
});

t.test('signing out ends the session, and the event streams it had open', async (t) => {
  const alice = cookieOf(await signIn('alice'));
  const open = await fetch(`${base}/ui/events`, { headers: { cookie: alice } });
  const stream = (open.body as ReadableStream<Uint8Array>).getReader();
  await nextEvent(stream, () => true);
  const out = await fetch(`${base}/ui/logout`, {
    method: 'POST',
    headers: { cookie: alice },
    redirect: 'manual',
  });
  t.equal(out.status, 303);
  t.match(out.headers.get('set-cookie'), /Max-Age=0/);
  t.equal((await fetch(`${base}/ui/events`, { headers: { cookie: alice } })).status, 401);
  // The open stream ends at its next tick.
  for (;;) if ((await stream.read()).done) break;
  t.pass('the stream ended');
});

t.test('1,000 sources in ten namespaces cost ten access reviews, not 1,000', async (t) => {
  const many = Array.from({ length: 1000 }, (_, i) => ({ cfg: { name: `team-${i % 10}.s${i}` } }));
  let reviews = 0;
  const counting: ControlAuth = async (_token, attrs) => {
    reviews++;
    return 'resource' in attrs && attrs.resource.name === undefined
      ? { ok: true, user: 'ops' }
      : { ok: false, code: 403, reason: 'no', user: 'ops' };
  };
  const seen = await readableSources(
    { controlAuth: counting, logger: pino({ level: 'silent' }) },
    { headers: { authorization: 'Bearer ops' } } as IncomingMessage,
    many,
  );
  t.equal(Array.isArray(seen) && seen.length, 1000);
  t.equal(reviews, 10);
});

t.test("an authenticating proxy's user, trusted from its address only", async (t) => {
  const reviews: unknown[] = [];
  const app = (trusted: string[]) =>
    startStatusServer(
      { sources },
      {
        userAuth: async (u, attrs) => {
          reviews.push(u);
          const ns = 'resource' in attrs ? attrs.resource.namespace : undefined;
          return u.groups.includes('team-b-devs') && ns === 'team-b'
            ? { ok: true, user: u.username }
            : { ok: false, code: 403, reason: 'no', user: u.username };
        },
        proxyAuth: {
          userHeader: 'x-forwarded-user',
          groupsHeader: 'x-forwarded-groups',
          trustedProxies: trusted,
        },
      },
    );
  const headers = {
    'x-forwarded-user': 'dana@example.com',
    'x-forwarded-groups': 'staff, team-b-devs',
  };
  for (const [trusted, sees] of [
    [['127.0.0.1', '::ffff:127.0.0.1'], true],
    [['10.9.9.9'], false],
  ] as const) {
    const s = await app([...trusted]);
    const html = await (await fetch(`${s.base}/ui`, { headers })).text();
    s.close();
    if (sees) {
      t.match(html, 'Signed in as <span id="user">dana@example.com</span>');
      t.match(html, 'data-source="team-b.app"', "the proxy's user sees what its groups may get");
      t.notMatch(html, 'team-a.app');
      t.same(reviews[0], { username: 'dana@example.com', groups: ['staff', 'team-b-devs'] });
    } else {
      t.match(html, 'action="/ui/login"', 'headers from an untrusted address are ignored');
      t.notMatch(html, 'data-source=');
    }
  }
});
