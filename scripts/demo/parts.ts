// The demo's larger parts: the two binaries' configs and the closing "where to look".
import { join } from 'node:path';
import { parseReconcilerConfig } from '../../reconciler/config/parse.js';
import { parseWebhookConfig } from '../../webhook/config.js';
import { DRIFTGATE_NAMESPACE, RECONCILER_USER } from '../../test/support/control-plane.js';
import { toolPath } from '../../test/support/tools.js';
import { LIBRARY_DIR } from '../../test/support/webhook.js';
import { SRE_GROUP } from './repo.js';

/**
 * The demo platform raises one best-practice policy from its default (warn) to enforce: one
 * value, given to the webhook and the reconciler alike (the chart renders both from one).
 */
const RAISED = { 'images/disallow_latest': 'enforce' };

/** The reconciler's config: GitSources on, the library's policies, the gate enforcing. */
export function reconcilerConfig(
  work: string,
  statusPort: number,
  metricsPort: number,
  tokens: { readonly state: string; readonly control: string },
) {
  return parseReconcilerConfig({
    namespace: DRIFTGATE_NAMESPACE,
    cacheDir: join(work, 'cache'),
    host: '127.0.0.1',
    statusPort,
    metricsPort,
    kustomizePath: toolPath('kustomize'),
    helmPath: toolPath('helm'),
    logLevel: 'silent',
    stateTokenFile: tokens.state,
    controlTokenFile: tokens.control,
    policies: {
      opaPath: toolPath('opa'),
      dir: LIBRARY_DIR,
      gate: 'enforce',
      enforcementOverrides: RAISED,
      audit: { interval: '1m' },
    },
    // The platform's own sources could be listed here too; the demo's are GitSources.
    gitSources: { enabled: true, requireServiceAccount: false },
    sources: [],
  });
}

/** The webhook's config: the library's policies and the Git state from the reconciler. */
export function webhookConfig(work: string, metricsPort: number, statusURL: string, token: string) {
  return parseWebhookConfig({
    host: '127.0.0.1',
    port: 0,
    metricsHost: '127.0.0.1',
    metricsPort,
    policyDir: LIBRARY_DIR,
    watchPolicies: false,
    enforcementOverrides: RAISED,
    opaPath: toolPath('opa'),
    logLevel: 'silent',
    tls: {
      generateDir: join(work, 'tls'),
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    },
    gitState: {
      reconcilerURL: statusURL,
      tokenFile: token,
      pollInterval: '1s',
      reconciler: {
        username: RECONCILER_USER,
        group: `system:serviceaccounts:${DRIFTGATE_NAMESPACE}`,
      },
      breakGlass: { groups: [SRE_GROUP], maxDuration: '1h' },
      governed: { namespaces: ['shop-prod'], mode: 'deny' },
    },
  });
}

/** Where a user looks next: status, metrics, kubectl, Git; and the metrics that moved. */
export async function whereToLook(
  say: (text: string) => void,
  o: {
    readonly statusURL: string;
    readonly controlToken: string;
    readonly reconcilerMetrics: number;
    readonly webhookMetrics: number;
    readonly kubeconfigs: { readonly admin: string; readonly developer: string };
    readonly repo: { readonly url: string; readonly work: string };
  },
): Promise<void> {
  const { statusURL, controlToken, kubeconfigs, repo } = o;
  say(
    `status:              curl -H "Authorization: Bearer $(cat ${controlToken})" ${statusURL}/status   (or: npx tsx cli/main.ts status --url ${statusURL} --token-file ${controlToken})`,
  );
  say(
    `reconciler metrics:  curl http://127.0.0.1:${o.reconcilerMetrics}/metrics | grep ^driftgate_`,
  );
  say(`webhook metrics:     curl http://127.0.0.1:${o.webhookMetrics}/metrics | grep ^driftgate_`);
  say(
    `audit report:        curl -X POST -H "Authorization: Bearer $(cat ${controlToken})" ${statusURL}/audit`,
  );
  say(`kubectl:             export KUBECONFIG=${kubeconfigs.admin}`);
  say(
    'sources:             kubectl get gitsources -A; kubectl describe gitsource shop -n shop-prod',
  );
  say(
    'suspend, sync:       npx tsx cli/main.ts suspend shop -n shop-dev (resume, sync the same way)',
  );
  say(
    `as the developer:    kubectl --kubeconfig ${kubeconfigs.developer} -n shop-prod scale deploy/web --replicas=2`,
  );
  say(`Git:                 ${repo.url} (a clone to commit from: ${repo.work})`);
  const m = [
    await (await fetch(`http://127.0.0.1:${o.reconcilerMetrics}/metrics`)).text(),
    await (await fetch(`http://127.0.0.1:${o.webhookMetrics}/metrics`)).text(),
  ].join('\n');
  for (const line of m.split('\n'))
    if (
      /^driftgate_(source_info|manual_changes_total|self_heal_total|break_glass_uses_total)\{/.test(
        line,
      ) &&
      !line.endsWith(' 0')
    )
      say(`  ${line}`);
}
