// Helm charts rendered by the real helm binary (no cluster needed): public charts from
// test/fixtures/public, inline values over values files, and dependencies that must be vendored.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { RenderError, renderWithTool } from '../../reconciler/render/render.js';
import type { TreeFile } from '../../reconciler/source/git-source.js';
import { toolPath } from '../support/tools.js';

const FIXTURES = 'test/fixtures/public';
const tools = { kustomizePath: toolPath('kustomize'), helmPath: toolPath('helm') };

function tree(dir: string, out = new Map<string, TreeFile>()): Map<string, TreeFile> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tree(p, out);
    else out.set(relative(FIXTURES, p), { oid: p, content: readFileSync(p) });
  }
  return out;
}

const capabilities = { kubeVersion: 'v1.35.4', apiVersions: ['v1', 'apps/v1'] };

t.test('a chart whose dependency is vendored in charts/ renders with it', async (t) => {
  const path = 'bitnami-charts/bitnami/nginx';
  const out = await renderWithTool('helm', tree(join(FIXTURES, path)), path, tools, {
    releaseName: 'web',
    namespace: 'shop',
    capabilities,
  });
  const kinds = out.map((r) => r.object.kind).sort();
  t.ok(kinds.includes('Deployment') && kinds.includes('Service'), kinds.join(','));
  // The common library's labels helper is what names every object: the dependency was used.
  const deploy = out.find((r) => r.object.kind === 'Deployment');
  t.equal(deploy?.object.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm');
});

t.test('a dependency missing from charts/ is a clear error: nothing is fetched', async (t) => {
  const path = 'argocd-example-apps/helm-dependency';
  const err = await renderWithTool('helm', tree(join(FIXTURES, path)), path, tools, {
    releaseName: 'wp',
    namespace: 'shop',
    capabilities,
  }).catch((e: unknown) => e);
  t.ok(err instanceof RenderError);
  t.equal(
    (err as Error).message,
    'helm failed for argocd-example-apps/helm-dependency: chart dependencies missing from charts/: wordpress. Nothing is fetched at render time: run "helm dependency build" and commit the charts/ folder (many charts\' own .gitignore lists charts/*, which makes git add skip it silently: use git add -f)',
  );
});

t.test('inline values apply over the values files', async (t) => {
  const path = 'argocd-example-apps/helm-guestbook';
  const render = (values?: Record<string, unknown>) =>
    renderWithTool('helm', tree(join(FIXTURES, path)), path, tools, {
      releaseName: 'gb',
      namespace: 'shop',
      valuesFiles: ['values-production.yaml'],
      capabilities,
      ...(values ? { values } : {}),
    });
  const spec = (out: Awaited<ReturnType<typeof render>>, kind: string) =>
    out.find((r) => r.object.kind === kind)?.object.spec as {
      type?: string;
      replicas?: number;
      template?: { spec: { containers: { image: string }[] } };
    };
  const plain = await render();
  t.equal(spec(plain, 'Service').type, 'LoadBalancer', 'values-production.yaml says so');
  t.equal(spec(plain, 'Deployment').replicas, 1, 'values.yaml says 1');
  const inline = await render({
    replicaCount: 5,
    image: { tag: 'v9' },
    service: { type: 'NodePort' },
  });
  t.equal(spec(inline, 'Service').type, 'NodePort', 'inline values win over a values file');
  t.equal(spec(inline, 'Deployment').replicas, 5);
  t.equal(
    spec(inline, 'Deployment').template?.spec.containers[0]?.image,
    'gcr.io/google-samples/gb-frontend:v9',
    'merged with values.yaml, not replacing it',
  );
});
