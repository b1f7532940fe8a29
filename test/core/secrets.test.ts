import t from 'tap';
import { createHash } from 'node:crypto';
import { HIDDEN, redactURL, redactURLsIn, sealSecret, shownDiffs } from '../../core/secrets.js';
import { isolationProblems } from '../../policies/engine/isolation.js';

t.equal(
  redactURL('https://x-token:s3cret@git.example/org/repo.git'),
  'https://git.example/org/repo.git',
);
t.equal(
  redactURL('https://git.example/repo.git?private_token=abc'),
  'https://git.example/repo.git',
);
t.equal(redactURL('http://127.0.0.1:8080/r.git/'), 'http://127.0.0.1:8080/r.git/');
t.equal(redactURL('not a url://user:pw@host/x'), 'not a url://host/x');

const diffs = [
  { path: '/data/password', declared: 'czNjcmV0', live: 'b3RoZXI=' },
  { path: '/data', declared: { a: 'YQ==' }, live: undefined },
  { path: '/metadata/labels/app', declared: 'a', live: 'b' },
];
t.same(shownDiffs('Secret', diffs), [
  { path: '/data/password', declared: HIDDEN, live: HIDDEN },
  { path: '/data', declared: HIDDEN, live: undefined },
  { path: '/metadata/labels/app', declared: 'a', live: 'b' },
]);
t.same(shownDiffs('ConfigMap', diffs), diffs, 'other kinds are shown as they are');

const digest = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
t.same(
  sealSecret({
    kind: 'Secret',
    metadata: { name: 's' },
    data: { a: Buffer.from('x').toString('base64') },
    stringData: { b: 'y' },
  }),
  { kind: 'Secret', metadata: { name: 's' }, data: { a: digest('x'), b: digest('y') } },
  'stringData folds into data, as the apiserver does, and both are digests',
);
t.same(sealSecret({ kind: 'ConfigMap', data: { a: 'x' } }), {
  kind: 'ConfigMap',
  data: { a: 'x' },
});
t.equal(sealSecret(null), null);

const builtin = {
  'security/priv/policy.rego': 'package driftgate.security.priv\n',
  'lib/x.rego': 'package lib.x\n',
};
t.same(
  isolationProblems(
    builtin,
    new Map([['a', { 'team/one/policy.rego': 'package driftgate.team.one\n' }]]),
  ),
  [],
);
t.same(
  isolationProblems(
    builtin,
    new Map<string, Record<string, string>>([
      [
        'a',
        { 'team/one/policy.rego': 'package driftgate.team.one\n', 'x/y.rego': 'package lib.x\n' },
      ],
      [
        'b',
        {
          'team/one/policy.rego': 'package driftgate.team.two\n',
          'z/z.rego': 'package driftgate.team.one\n',
        },
      ],
    ]),
  ),
  [
    'source a: x/y.rego must declare a package under driftgate.',
    'source b: team/one/policy.rego is already a policy file of source a',
    'source b: z/z.rego declares package driftgate.team.one, which belongs to source a',
  ],
);

t.test('credentials are taken out of every URL in a text', async (t) => {
  t.equal(
    redactURLsIn('fetch https://u:p4ss@git.example/a.git and http://tok@h:8080/x failed'),
    'fetch https://git.example/a.git and http://h:8080/x failed',
  );
  t.equal(
    redactURLsIn('no urls here, just user@example.com'),
    'no urls here, just user@example.com',
  );
});
