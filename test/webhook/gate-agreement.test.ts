// The webhook and the reconciler's pre-apply gate agree: while the gate is on, a reconciler write
// is not denied by the policies here (the gate judged it, with the bundle the reconciler serves,
// which may be newer than this replica's), so a self-heal revert or a first create is never
// refused; with the gate off the webhook judges; anyone else's identical write still is judged.
import { pino } from 'pino';
import t from 'tap';
import type { PolicyBundle } from '../../policies/engine/bundle.js';
import { DesiredState } from '../../webhook/desired-state.js';
import type { GitGuardConfig } from '../../webhook/drift.js';
import { makeExemptions } from '../../webhook/exemptions.js';
import { handleRequest } from '../../webhook/handler.js';
import { AdmissionMetrics } from '../../webhook/metrics.js';
import type { AdmissionRequest } from '../../webhook/types.js';

const policy = {
  id: 'config/no_debug',
  path: ['config', 'no_debug'],
  description: '',
  enforcement: 'enforce',
  parameters: {},
  allowExistingViolations: false,
} as const;
const outcome = (obj: { data?: { debug?: string } } | null | undefined) => [
  {
    policy,
    ok: true as const,
    result: { deny: obj?.data?.debug === 'true' ? ['debug is on'] : [], warn: [], patch: [] },
  },
];
const bundle = {
  revision: 'b1',
  policies: [policy],
  built: { wasm: Buffer.alloc(0), revision: 'b1', policies: [policy] },
  evaluate: (i: { request: { object: never } }) => outcome(i.request.object),
  evaluateJson: (json: Uint8Array) =>
    outcome(JSON.parse(Buffer.from(json).toString()).request.object),
} as unknown as PolicyBundle;

const declared = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'shop', labels: { 'driftgate.io/source': 'shop' } },
  data: { debug: 'true' },
};
const declaredIndex = () => {
  const i = new DesiredState();
  i.load({
    version: 1,
    generation: 'g',
    sources: [
      {
        name: 'shop',
        repoURL: 'https://git.example/platform',
        revision: '0123456789abcdef0123',
        entries: [
          {
            group: '',
            resource: 'configmaps',
            kind: 'ConfigMap',
            namespace: 'shop',
            name: 'settings',
            path: 'app/settings.yaml',
            declared,
            ignore: [],
          },
        ],
      },
    ],
  });
  return i;
};
const config = (gate: 'enforce' | 'warn' | 'off'): GitGuardConfig => ({
  reconciler: {
    username: 'system:serviceaccount:dg:rec',
    group: 'system:serviceaccounts:dg',
    gate,
  },
  breakGlass: { groups: new Set(), maxDurationMs: 3_600_000 },
  governed: { namespaces: new Set(), mode: 'deny' },
});
const revert = (username: string, groups: string[]): AdmissionRequest => ({
  uid: 'u1',
  kind: { group: '', version: 'v1', kind: 'ConfigMap' },
  resource: { group: '', version: 'v1', resource: 'configmaps' },
  name: 'settings',
  namespace: 'shop',
  operation: 'UPDATE',
  userInfo: { username, groups },
  // The self-heal: back from a drifted value to what Git declares.
  object: declared,
  oldObject: { ...declared, data: { debug: 'false' } },
});
const answer = (
  gate: 'enforce' | 'warn' | 'off',
  req: AdmissionRequest,
  index: DesiredState = declaredIndex(),
) =>
  handleRequest(req, 'validate', {
    bundle: () => bundle,
    exemptions: makeExemptions('dg'),
    metrics: new AdmissionMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
    git: { index, config: config(gate) },
  });
const reconciler = revert('system:serviceaccount:dg:rec', ['system:serviceaccounts:dg']);

t.test('gate on: the self-heal revert is allowed, and the warning says why', async (t) => {
  for (const gate of ['warn', 'enforce'] as const) {
    const r = await answer(gate, reconciler);
    t.equal(r.allowed, true, gate);
    t.strictSame(r.warnings, [
      `[config/no_debug] debug is on (written by the reconciler, whose pre-apply gate (${gate}) judged it)`,
    ]);
  }
});

t.test('gate on: a first create this replica has no index entry for is allowed', async (t) => {
  const create = { ...reconciler, operation: 'CREATE' as const, oldObject: null };
  const r = await answer('warn', create, new DesiredState());
  t.equal(r.allowed, true);
  t.equal(r.warnings?.length, 1);
});

t.test('gate off: the webhook is the only judge and denies', async (t) => {
  const r = await answer('off', reconciler);
  t.equal(r.allowed, false);
  t.match(r.status?.message, '[config/no_debug] debug is on');
});

t.test("anyone else's identical write is judged as ever", async (t) => {
  const r = await answer('enforce', revert('alice', ['dev']));
  t.equal(r.allowed, false);
  t.match(r.status?.message, '[config/no_debug] debug is on');
});
