import t from 'tap';
import { ExternalDataSession } from '../../policies/engine/external-data-session.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { decodeReview, encodeReview } from '../../webhook/review.js';
import { handleRequest } from '../../webhook/handler.js';
import { makeExemptions } from '../../webhook/exemptions.js';
import { AdmissionMetrics } from '../../webhook/metrics.js';
import type { PolicyBundle } from '../../policies/engine/bundle.js';

// Payloads the real kube-apiserver sent (captured by capture.e2e.test.ts).
const dir = join(import.meta.dirname, 'fixtures');
const fixtures = readdirSync(dir).map((f) => ({ name: f, body: readFileSync(join(dir, f)) }));

const policy = {
  id: 'demo/deny_all',
  path: ['demo', 'deny_all'],
  description: '',
  enforcement: 'enforce',
  parameters: {},
  // Every request, UPDATE included, must be denied here (no old violation is let through).
  allowExistingViolations: false,
} as const;
const denyAll: PolicyBundle = {
  revision: 'r1',
  policies: [policy],
  built: { wasm: Buffer.alloc(0), revision: 'r1', policies: [policy] },
  evaluate: () => [{ policy, ok: true, result: { deny: ['no'], warn: [], patch: [] } }],
  evaluateJson: () => [{ policy, ok: true, result: { deny: ['no'], warn: [], patch: [] } }],
  setInventory: () => {},
  inventory: {},
  evaluateTemplate: () => [],
  externalData: new ExternalDataSession(),
};

t.ok(fixtures.length >= 5, 'fixtures present');
for (const f of fixtures) {
  t.test(`${f.name}: decodes, and the answer echoes the uid in a v1 envelope`, async (t) => {
    const review = decodeReview('application/json; charset=utf-8', f.body);
    t.equal(review.kind, 'AdmissionReview');
    const deps = {
      bundle: () => denyAll,
      exemptions: makeExemptions('driftgate-system'),
      metrics: new AdmissionMetrics({ defaultMetrics: false }),
      logger: pino({ level: 'silent' }),
    };
    const response = await handleRequest(review.request, 'validate', deps);
    const envelope = encodeReview(response) as {
      apiVersion: string;
      kind: string;
      response: typeof response;
    };
    t.equal(envelope.apiVersion, 'admission.k8s.io/v1');
    t.equal(envelope.kind, 'AdmissionReview');
    t.equal(envelope.response.uid, review.request.uid, 'uid echoed');
    t.match(envelope.response, {
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: 'driftgate policy: [demo/deny_all] no' },
    });
    t.notOk('patchType' in envelope.response, 'no patch fields on a denial');
  });
}
