// npm run bench:status-page-live — how soon the status page shows a manual change reverted: the
// real apiserver, Git server and reconciler, a tenant signed in in Debian's Chromium, then 20
// `kubectl patch`es of a Git-managed ConfigMap, each timed from the patch until its "reverted"
// line is on the page (no reload: Server-Sent Events). Against the 2 s of issue 32.
import { stringify } from 'yaml';
import { startControlPlane } from '../test/support/control-plane.js';
import { startGitServer } from '../test/support/git-server.js';
import { createSshSigner } from '../test/support/signing.js';
import { configMap, startTestReconciler } from '../test/support/reconciler.js';
import {
  gitSourceManifest,
  installGitSourceApi,
  mustKubectl,
  trustingNamespace,
} from '../test/support/gitsources.js';
import { launchChromium } from '../test/support/browser.js';
import { benchWork } from './support.js';

const CHANGES = 20;
const TARGET_MS = 2000;
const { work, stops } = benchWork('dg-bench-status-live-');
const cp = await startControlPlane();
stops.push(() => void cp.stop());
const git = await startGitServer();
stops.push(() => void git.stop());
const signer = await createSshSigner(`${work}/ssh`, 'Bench', 'bench@example.com');
const must = mustKubectl(cp);
await installGitSourceApi(cp);
await trustingNamespace(cp, 'team-a', signer);
const repo = await git.createRepo('apps');
// One ConfigMap per change: the same object changed back five times a minute is a fight, which
// driftgate stops reverting (fightThreshold).
await repo.commit(
  Object.fromEntries(
    Array.from({ length: CHANGES }, (_, i) => [
      `app/cm-${i}.yaml`,
      configMap(`cm-${i}`, { v: '1' }),
    ]),
  ),
  { signer },
);
await must(
  ['apply', '-f', '-'],
  gitSourceManifest('team-a', 'web', { repoURL: repo.url, path: 'app', interval: '1h' }),
);
const rec = await startTestReconciler(
  cp,
  [],
  { gitSources: { enabled: true } },
  { autoStart: true },
);
stops.push(() => void rec.stop());
await must(['wait', '--for=condition=Ready', 'gitsource/web', '-n', 'team-a', '--timeout=120s']);
await must(['create', 'serviceaccount', 'viewer', '-n', 'team-a']);
await must(
  ['apply', '-f', '-'],
  stringify({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'read', namespace: 'team-a' },
    rules: [{ apiGroups: ['driftgate.io'], resources: ['gitsources'], verbs: ['get'] }],
  }),
);
await must([
  'create',
  'rolebinding',
  'read',
  '-n',
  'team-a',
  '--role=read',
  '--serviceaccount=team-a:viewer',
]);
const token = (await must(['create', 'token', 'viewer', '-n', 'team-a'])).trim();

const browser = await launchChromium();
const page = await browser.newPage();
await page.goto(`${rec.url}/ui`);
await page.fill('#token', token);
await page.click('button[type=submit]');
await page.waitForSelector('tr[data-source="team-a.web"]');
const times: number[] = [];
for (let i = 0; i < CHANGES; i++) {
  const before = Date.now();
  await must([
    'patch',
    'configmap',
    `cm-${i}`,
    '-n',
    'team-a',
    '--type=merge',
    '-p',
    JSON.stringify({ data: { v: `manual-${i}` } }),
  ]);
  await page
    .locator('li.activity.reverted', { hasText: `ConfigMap team-a/cm-${i}:` })
    .first()
    .waitFor({ timeout: 60_000 });
  times.push(Date.now() - before);
}
times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
console.log(
  `\nStatus page: a manual change to its revert shown, ${CHANGES} changes (kubectl patch → line on the page)`,
);
console.log(
  `  p50 ${at(0.5)} ms · p90 ${at(0.9)} ms · max ${times.at(-1)} ms   target ≤ ${TARGET_MS} ms`,
);
await browser.close();
process.exit(0); // benchWork stops the rest
