// `driftgate check <dir>`: evaluate manifests against the policies offline (CI), like gator test
// or the kyverno CLI. Exit 0: no enforced violation; 1: at least one; 2: unusable input.
import { inventoryOf, namespaceLabels } from '../policies/engine/gatekeeper/inventory.js';
import { requiredTool } from './tools.js';
import { CHECK_KUBE_VERSION, renderFolder } from './check-render.js';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { findingsWithImplied, objectInput, type Finding } from '../policies/engine/findings.js';
import { hostContext, ingressRefs } from '../core/ingress-hosts.js';
import { BundleStore } from '../policies/engine/store.js';
import { RenderError } from '../reconciler/render/render.js';
import { has, str, type CliArgs } from './args.js';
import { emit, formatOf } from './output.js';
import {
  atGatorPoint,
  checkSuites,
  isGatekeeperObject,
  policyTreeWith,
} from './check-gatekeeper.js';

export const CHECK_USAGE = `driftgate check <dir> [--policies <dir>] [--opa <path>] [-o text|json|yaml]
    [--kustomize <path>] [--helm <path>] [--release <name>] [--namespace <ns>] [--values <file>]
    [--root <dir>]
    [--kube-version <v>] [--api-versions <group/version,...>] [--no-cache]
driftgate check <dir> --suites [--opa <path>] [-o text|json|yaml] [--no-cache]

Renders <dir> as the reconciler does (a kustomization with kustomize, a chart with helm
template, else the YAML/JSON files under it; nothing is fetched) and evaluates every object
against the policies (default: the built-in library) as the webhook would on CREATE of a
Git-managed object. A kustomization may reach its bases inside --root (default: the Git work
tree holding <dir>, else <dir>). --values is read relative to the working directory.
A chart sees --kube-version (default ${CHECK_KUBE_VERSION}, the newest Kubernetes driftgate is
tested with; the reconciler passes the live cluster's) and --api-versions in .Capabilities.
Policies are tested and built once per content (remembered in $XDG_CACHE_HOME/driftgate/check;
--no-cache builds afresh).
Gatekeeper ConstraintTemplates and constraints among the manifests join the policies.
Prints each violation.
With --suites: compiles every ConstraintTemplate under <dir> and runs every gator-style
suite.yaml under it, as gator verify does (exit 1 when a case fails, 2 when a template cannot
be run here; each is listed with the reason).
Exit codes: 0 nothing enforced was violated (warnings may be printed), 1 a violation of an
enforced policy, 2 the manifests or policies could not be used (the message says which).`;

/** Where `check` remembers built bundles: $XDG_CACHE_HOME/driftgate/check (~/.cache by default). */
export function checkCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'driftgate', 'check');
}

/** The built-in library: the `policies` folder of this package. */
export function libraryDir(from = import.meta.dirname): string | undefined {
  for (let d = from; d !== dirname(d); d = dirname(d))
    if (existsSync(join(d, 'policies', 'lib', 'pods.rego'))) return join(d, 'policies');
  return undefined;
}

export interface CheckedObject {
  readonly path: string;
  readonly object: string;
  readonly findings: readonly Finding[];
}

export async function check(a: CliArgs): Promise<number> {
  const dir = a.positionals[0];
  if (!dir) {
    console.error(`driftgate check: name the directory of manifests\n\n${CHECK_USAGE}`);
    return 2;
  }
  const policies = str(a, 'policies') ?? libraryDir();
  const format = formatOf(a);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    console.error(`driftgate check: ${dir} is not a directory of manifests`);
    return 2;
  }
  if (!policies || !existsSync(policies)) {
    console.error('driftgate check: no policy directory: pass --policies <dir>');
    return 2;
  }
  // Policies are built with opa: found once, then run by its path.
  const opaPath = requiredTool('check', '--opa', str(a, 'opa') ?? 'opa');
  if (!opaPath) return 2;
  // Unchanged policies are not tested and built again: the built bundle is remembered by content.
  const cache = has(a, 'no-cache') ? {} : { builtCacheDir: checkCacheDir() };
  if (has(a, 'suites')) return checkSuites(dir, { opaPath, ...cache }, format);
  let rendered;
  try {
    rendered = await renderFolder(dir, a);
  } catch (err) {
    if (!(err instanceof RenderError)) throw err;
    console.error(`driftgate check: ${err.message}`);
    return 2;
  }
  const gatekeeper = rendered.filter(isGatekeeperObject);
  const objects = rendered.filter((r) => !isGatekeeperObject(r));
  // A developer's run: OPA's own builtins wherever opa-builtins.wasm is beside this opa.
  const store = new BundleStore({ opaPath, opaBuiltins: true, ...cache });
  const tree = gatekeeper.length > 0 ? policyTreeWith(policies, gatekeeper) : undefined;
  const loaded = await store.reload(tree?.dir ?? policies).finally(() => tree?.remove());
  if (!loaded.ok || !store.current) {
    const why = loaded.ok ? 'no bundle' : `${loaded.error.stage}: ${loaded.error.message}`;
    console.error(`driftgate check: the policies in ${policies} do not build (${why})`);
    return 2;
  }
  const bundle = store.current;
  // A mutator left out for a schema conflict is said at once: the author means it to run.
  for (const conflict of bundle.built.mutatorConflicts ?? [])
    console.error(`driftgate check: warning: mutator not applied: ${conflict}`);
  // The manifests checked together are one desired state: an Ingress host two of them route
  // is found here, as the webhook and the gate find it against Git and the cluster.
  const ingresses = ingressRefs(objects.map((r) => r.object));
  // As in gator test: every manifest is cluster data (data.inventory), and a Namespace among
  // them gives its labels to a namespaceSelector.
  const inventory = inventoryOf(objects.map((r) => r.object));
  const namespaces = new Map(
    objects
      .filter((r) => r.object.kind === 'Namespace' && r.object.apiVersion === 'v1')
      .map((r) => [r.object.metadata.name, r.object]),
  );
  try {
    if ((bundle.built.templates ?? []).length > 0) bundle.setInventory(inventory);
  } catch (err) {
    console.error(`driftgate check: the manifests are too large as data.inventory: ${String(err)}`);
    return 2;
  }
  const results: CheckedObject[] = objects.map((r) => {
    const meta = r.object.metadata;
    const judge = (o: Record<string, unknown>) =>
      bundle.evaluate(
        objectInput(
          o,
          { username: 'driftgate-check' },
          // Everything check sees is headed for Git: judged as a Git-managed object.
          {
            managed: true,
            namespaceManaged: true,
            path: r.path,
            ...hostContext(o, [ingresses]),
            // A Namespace among the manifests is Gatekeeper's input.review.namespaceObject.
            ...(meta.namespace && namespaces.has(meta.namespace)
              ? { namespaceObject: namespaces.get(meta.namespace) }
              : {}),
          },
        ),
      );
    return {
      path: r.path,
      object: `${r.object.kind} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name}`,
      // A workload is also judged as what it creates (Gatekeeper's ExpansionTemplates).
      findings: atGatorPoint(
        findingsWithImplied(
          r.object,
          bundle.built,
          judge,
          meta.namespace ? namespaceLabels(inventory, meta.namespace) : undefined,
        ),
        bundle.policies,
      ).filter((f) => f.action !== 'dryrun'),
    };
  });
  const enforced = results.flatMap((r) => r.findings).filter((f) => f.action === 'enforce');
  const warned = results.flatMap((r) => r.findings).filter((f) => f.action === 'warn');
  if (format !== 'text') emit(format, { objects: results.length, results });
  else {
    for (const r of results)
      for (const f of r.findings)
        console.log(
          `${f.action === 'enforce' ? 'DENY' : 'WARN'} ${r.path}: ${r.object}: [${f.policy}] ${f.message}`,
        );
    console.log(
      `${results.length} objects checked against ${bundle.policies.length} policies: ${enforced.length} violations, ${warned.length} warnings`,
    );
  }
  return enforced.length > 0 ? 1 : 0;
}
