import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseWebhookConfig } from '../../webhook/config.js';
import { startWebhook, type WebhookHandle } from '../../webhook/main.js';
import { DRIFTGATE_NAMESPACE, RECONCILER_USER, type ControlPlane } from './control-plane.js';
import { toolPath } from './tools.js';

export const LIBRARY_DIR = join(import.meta.dirname, '..', '..', 'policies');

export interface TestWebhook {
  readonly handle: WebhookHandle;
  readonly policyDir: string;
  readonly url: string;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/** The webhook in-process on 127.0.0.1 with generated TLS, over a private copy of `policies`. */
export async function startTestWebhook(
  policies = LIBRARY_DIR,
  extra: Record<string, unknown> = {},
): Promise<TestWebhook> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-webhook-'));
  const policyDir = join(dir, 'policies');
  cpSync(policies, policyDir, {
    recursive: true,
    filter: (src) => !src.includes(`${join('policies', 'engine')}`),
  });
  const cfg = parseWebhookConfig({
    host: '127.0.0.1',
    port: 0,
    metricsHost: '127.0.0.1',
    metricsPort: 0,
    policyDir,
    opaPath: toolPath('opa'),
    logLevel: 'silent',
    tls: { generateDir: join(dir, 'tls'), dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] },
    ...extra,
  });
  const handle = await startWebhook(cfg, {
    logger: pino({ level: 'silent' }),
    defaultMetrics: false,
  });
  return {
    handle,
    policyDir,
    url: `https://127.0.0.1:${handle.port}`,
    metrics: async () => (await fetch(`http://127.0.0.1:${handle.metricsPort}/metrics`)).text(),
    async stop() {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Register validating and mutating webhook configurations pointing at `url` (all namespaces). */
export async function registerWebhooks(
  cp: ControlPlane,
  url: string,
  caBundle: string,
  opts: { operations?: readonly string[]; extraResources?: readonly string[] } = {},
): Promise<void> {
  const ca = Buffer.from(caBundle).toString('base64');
  const resources = [
    'pods',
    'configmaps',
    'secrets',
    'deployments',
    'statefulsets',
    'daemonsets',
    'jobs',
    'cronjobs',
    'ingresses',
    ...(opts.extraResources ?? []),
  ];
  const rules = `
    rules:
    - apiGroups: ["", "apps", "batch", "networking.k8s.io"]
      apiVersions: ["*"]
      operations: [${(opts.operations ?? ['CREATE', 'UPDATE']).join(', ')}]
      resources: [${resources.join(', ')}]
      scope: Namespaced`;
  const common = (path: string) => `
    clientConfig: { url: "${url}/${path}", caBundle: ${ca} }
    admissionReviewVersions: [v1]
    sideEffects: None
    failurePolicy: Fail
    timeoutSeconds: 10${rules}`;
  const manifest = `
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: { name: driftgate }
webhooks:
  - name: mutate.driftgate.io
    reinvocationPolicy: Never${common('mutate')}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: { name: driftgate }
webhooks:
  - name: validate.driftgate.io${common('validate')}
`;
  const r = await cp.kubectl(['apply', '-f', '-'], { input: manifest });
  if (r.code !== 0) throw new Error(`registering webhooks failed: ${r.stderr}`);
}

/**
 * Register the webhook as the Git guard needs it (DELETE and the scale subresource too) and give
 * `breakGlassGroup` the developer's permissions, so its members can act under break-glass.
 */
export async function registerGitGuard(
  cp: ControlPlane,
  url: string,
  caBundle: string,
  breakGlassGroup: string,
): Promise<void> {
  await registerWebhooks(cp, url, caBundle, {
    operations: ['CREATE', 'UPDATE', 'DELETE'],
    extraResources: ['deployments/scale'],
  });
  const r = await cp.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: driftgate-test:break-glass }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: driftgate-test:developer }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: "${breakGlassGroup}" }]
`,
  });
  if (r.code !== 0) throw new Error(`binding ${breakGlassGroup} failed: ${r.stderr}`);
}

/** A Deployment manifest that passes the whole built-in library unless `patch` changes it. */
export function deployment(
  name: string,
  namespace: string,
  opts: { image?: string; labels?: Record<string, string> } = {},
): string {
  const labels = opts.labels ?? { 'app.kubernetes.io/name': name };
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true },
          containers: [
            {
              name: 'app',
              image: opts.image ?? 'registry.example/shop/web:1.4.2',
              readinessProbe: { httpGet: { path: '/healthz', port: 8080 } },
              livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
              resources: {
                requests: { cpu: '100m', memory: '128Mi' },
                limits: { cpu: '500m', memory: '256Mi' },
              },
              securityContext: { allowPrivilegeEscalation: false },
            },
          ],
        },
      },
    },
  });
}

/** The value of one sample of a Prometheus text exposition, or undefined. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** What the webhook answered one POST: status, parsed JSON body, client-side milliseconds. */
export interface PostAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly json: T;
  readonly ms: number;
}

/** POST `body` straight to the webhook over HTTPS (no apiserver), trusting `ca`. */
export function postToWebhook<T = Record<string, unknown>>(
  url: string,
  ca: string,
  body: string | Buffer,
  contentType = 'application/json',
): Promise<PostAnswer<T>> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: 'POST', ca, headers: { 'content-type': contentType } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString() || '{}') as T,
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** An AdmissionReview (JSON text): alice creates ConfigMap shop/c. No policy objects to it. */
export const configMapReview = (uid: string): string =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      operation: 'CREATE',
      kind: { group: '', version: 'v1', kind: 'ConfigMap' },
      namespace: 'shop',
      name: 'c',
      userInfo: { username: 'alice' },
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' } },
    },
  });

/** The webhook's gitState following a test reconciler: no break-glass groups, nothing governed. */
export const followReconciler = (reconcilerURL: string, tokenFile: string) => ({
  reconcilerURL,
  tokenFile,
  pollInterval: '500ms',
  reconciler: {
    username: RECONCILER_USER,
    group: `system:serviceaccounts:${DRIFTGATE_NAMESPACE}`,
  },
  breakGlass: { groups: [], maxDuration: '1h' },
  governed: { namespaces: [], mode: 'deny' },
});
