import { ApiException } from '@kubernetes/client-node';
import t from 'tap';
import { apiErrorMessage } from '../../reconciler/kube/errors.js';
import { freePort } from '../support/ports.js';

t.test('API errors are one readable line, never the response headers', async (t) => {
  const body = JSON.stringify({
    kind: 'Status',
    message: 'Job.batch "x" is invalid: spec.template: field is immutable',
  });
  t.equal(
    apiErrorMessage(new ApiException(422, 'ignored', body, { 'audit-id': 'abc' })),
    'HTTP 422: Job.batch "x" is invalid: spec.template: field is immutable',
  );
  t.equal(apiErrorMessage(new ApiException(404, 'x', 'not json', {})), 'HTTP 404');
  t.equal(
    apiErrorMessage(
      new Error(
        'HTTP-Code: 404\nMessage: Unknown API Status Code!\nBody: "x"\nHeaders: {"audit-id":"1"}',
      ),
    ),
    'HTTP-Code: 404',
  );
  t.equal(
    apiErrorMessage(new Error('request failed Headers: {"audit-id":"1","cache-control":"no"}')),
    'request failed',
  );
  t.equal(apiErrorMessage('plain'), 'plain');
  t.equal(apiErrorMessage(new Error('x'.repeat(2000))).length, 500);
});

t.test('an apiserver message is one bounded line that keeps its verdict', async (t) => {
  const long = JSON.stringify({
    message: `Job.batch "x" is invalid: spec.template: ${'dump '.repeat(200)}\n: field is immutable`,
  });
  const got = apiErrorMessage(new ApiException(422, 'x', long, {}));
  t.equal(got.length, 500);
  t.notMatch(got, '\n');
  t.match(got, /^HTTP 422: Job\.batch "x" is invalid: spec\.template: dump/);
  t.match(got, /dump : field is immutable$/);
});

t.test('the CLI writes an apiserver refusal the same way (one formatter)', async (t) => {
  const body = { kind: 'Status', message: 'gitsources.driftgate.io "x" is forbidden' };
  t.equal(
    apiErrorMessage(new ApiException(403, 'Forbidden', body, {})),
    'HTTP 403: gitsources.driftgate.io "x" is forbidden',
  );
  t.equal(
    apiErrorMessage(new Error('connect ECONNREFUSED 127.0.0.1:6443')),
    'connect ECONNREFUSED 127.0.0.1:6443',
  );
});

t.test('a network failure says what failed, not only "fetch failed"', async (t) => {
  const port = await freePort(); // nothing listens there
  const refused = await fetch(`http://127.0.0.1:${port}/`).catch((err: unknown) => err);
  t.equal(apiErrorMessage(refused), `fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`);
  t.equal(apiErrorMessage(new Error('plain')), 'plain');
});
