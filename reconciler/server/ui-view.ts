// What the status page shows of a source, and the page itself as HTML: every value from Git or
// the cluster escaped, no inline script or style (the Content-Security-Policy forbids them). Pure.
import type { SourceState } from '../model/source-state.js';
import { refText } from '../model/objects.js';
import { statusView } from './status.js';

const pick = (x: Omit<UiFinding, 'from'>): Omit<UiFinding, 'from'> => ({
  object: x.object,
  policy: x.policy,
  action: x.action,
  message: x.message,
});

/** One source as the page shows it (and /ui/events sends it). */
export interface UiSource {
  readonly name: string;
  readonly revision: string | null;
  readonly signer: string | null;
  readonly syncStatus: string;
  readonly health: string;
  readonly suspended: boolean;
  readonly lastSyncedAt: string | null;
  readonly lastError: string | null;
  /** What happens next for each error (retry, fix Git, …), as the status API says it. */
  readonly errors: readonly {
    readonly code: string;
    readonly next: string;
    readonly message: string;
  }[];
  readonly objects: number;
  readonly drifted: readonly {
    readonly object: string;
    readonly path: string;
    readonly diff: string;
  }[];
  readonly unhealthy: readonly {
    readonly object: string;
    readonly health: string;
    readonly message: string | null;
  }[];
  readonly breakGlass: readonly {
    readonly object: string;
    readonly reason: string;
    readonly expires: string;
  }[];
  /** Policy findings on its objects: the pre-apply gate's, and the last audit's. */
  readonly findings: readonly UiFinding[];
  readonly violations: number;
  /** Its objects and their health (the first MAX_LISTED). */
  readonly objectList: readonly { readonly object: string; readonly health: string }[];
  /** Manual changes reverted or reported, newest first. */
  readonly activity: readonly {
    readonly at: string;
    readonly object: string;
    readonly event: string;
    readonly diff: string;
  }[];
}

/** A policy's finding on an object, from the pre-apply gate or the audit. */
export interface UiFinding {
  readonly from: 'gate' | 'audit';
  readonly object: string;
  readonly policy: string;
  readonly action: string;
  readonly message: string;
}

/** What the audit found, as its report has it. */
export interface AuditFindings {
  readonly violations: readonly (Omit<UiFinding, 'from'> & { readonly source?: string })[];
}

/** Objects and findings listed per source at most (the counts say how many there are). */
export const MAX_LISTED = 200;

/** The page's view of a source: the status API's, trimmed to what the page shows. */
export function uiSource(s: SourceState, audit?: AuditFindings): UiSource {
  const v = statusView(s) as Omit<UiSource, 'violations' | 'findings' | 'objectList'> & {
    policyViolations: Omit<UiFinding, 'from'>[];
  };
  const findings: UiFinding[] = [
    ...v.policyViolations.map((x) => ({ ...pick(x), from: 'gate' as const })),
    ...(audit?.violations ?? [])
      .filter((x) => x.source === s.name)
      .map((x) => ({ ...pick(x), from: 'audit' as const })),
  ];
  return {
    name: v.name,
    revision: v.revision,
    signer: v.signer,
    syncStatus: v.syncStatus,
    health: v.health,
    suspended: v.suspended,
    lastSyncedAt: v.lastSyncedAt,
    lastError: v.lastError,
    errors: v.errors,
    objects: v.objects,
    drifted: v.drifted,
    unhealthy: v.unhealthy,
    breakGlass: v.breakGlass.map((b) => ({
      object: b.object,
      reason: b.reason,
      expires: b.expires,
    })),
    findings: findings.slice(0, MAX_LISTED),
    violations: findings.length,
    objectList: [...s.objects.values()].slice(0, MAX_LISTED).map((o) => ({
      object: refText(o.ref),
      health: o.health,
    })),
    activity: [...(s.activity ?? [])].reverse().slice(0, 10),
  };
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
/** Text for HTML content and quoted attribute values. */
export const escapeHtml = (s: unknown): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c] as string);

const ACTIVITY_CLASS: Readonly<Record<string, string>> = {
  reverted: 'reverted',
  drifted: 'drifted',
  applied: 'applied',
};

/** One line of a source's activity: a commit applied, or a manual change reverted or seen. */
function activityItem(a: UiSource['activity'][number]): string {
  const when = `<time datetime="${escapeHtml(a.at)}">${escapeHtml(a.at)}</time>`;
  const cls = ACTIVITY_CLASS[a.event] ?? 'other';
  if (a.event === 'applied')
    return `<li class="activity ${cls}">${when} ${escapeHtml(`commit ${a.object.slice(0, 12)} applied: ${a.diff}`)}</li>`;
  const what = a.event === 'reverted' ? 'reverted to Git' : 'seen, not reverted';
  return `<li class="activity ${cls}">${when} ${escapeHtml(`${a.object}: manual change ${what}`)}<pre>${escapeHtml(a.diff)}</pre></li>`;
}

const cell = (text: unknown, cls = ''): string =>
  `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(text)}</td>`;

/** A source's row and, below it, its details (drift, errors, break-glass), server-rendered. */
export function sourceRows(s: UiSource): string {
  const state = s.suspended ? 'Suspended' : s.syncStatus;
  const lastError =
    s.lastError && !s.errors.some((e) => e.message === s.lastError)
      ? [`<li class="error">${escapeHtml(s.lastError)}</li>`]
      : [];
  const details = [
    ...lastError,
    ...s.errors.map(
      (e) => `<li class="error">${escapeHtml(`${e.message} — next: ${e.next}`)}</li>`,
    ),
    ...s.drifted.map(
      (d) =>
        `<li class="drift"><span>${escapeHtml(`${d.object} (${d.path}) drifted`)}</span><pre>${escapeHtml(d.diff)}</pre></li>`,
    ),
    ...s.breakGlass.map(
      (b) =>
        `<li class="glass" data-expires="${escapeHtml(b.expires)}">${escapeHtml(`${b.object}: break-glass until ${b.expires} (${b.reason})`)}<span class="countdown"></span></li>`,
    ),
    ...s.findings.map(
      (f) =>
        `<li class="finding ${f.from}">${escapeHtml(`${f.from === 'gate' ? 'pre-apply gate' : 'audit'}: [${f.policy}] (${f.action}) ${f.object}: ${f.message}`)}</li>`,
    ),
    ...s.activity.map((a) => activityItem(a)),
    ...s.unhealthy.map(
      (u) =>
        `<li class="unhealthy">${escapeHtml(`${u.object}: ${u.health}${u.message ? ` — ${u.message}` : ''}`)}</li>`,
    ),
  ];
  if (s.objectList.length > 0)
    details.push(
      `<li class="objects"><details><summary>${escapeHtml(`${s.objects} objects`)}</summary><ul>${s.objectList.map((o) => `<li>${escapeHtml(`${o.object}: ${o.health}`)}</li>`).join('')}</ul></details></li>`,
    );
  return [
    `<tr data-source="${escapeHtml(s.name)}">`,
    cell(s.name, 'name'),
    cell(s.revision ? s.revision.slice(0, 12) : '—', 'revision'),
    cell(s.signer ?? '—'),
    cell(state, `state ${state.toLowerCase()}`),
    cell(s.health, `health ${s.health.toLowerCase()}`),
    cell(s.objects),
    cell(s.drifted.length, s.drifted.length > 0 ? 'drift' : ''),
    cell(s.violations),
    cell(s.lastSyncedAt ?? '—'),
    '</tr>',
    details.length > 0
      ? `<tr class="details"><td colspan="9"><ul>${details.join('')}</ul></td></tr>`
      : '',
  ].join('');
}

/** A denied admission, as the webhook's Event tells it. */
export interface UiDenial {
  readonly namespace: string;
  readonly object: string;
  readonly message: string;
  readonly at: string;
}

/** The denials list's items, escaped. */
export const denialItems = (list: readonly UiDenial[]): string =>
  list.length === 0
    ? '<li class="none">none seen</li>'
    : list
        .map(
          (d) =>
            `<li class="denial"><time datetime="${escapeHtml(d.at)}">${escapeHtml(d.at)}</time> <span class="object">${escapeHtml(d.object)}</span>: ${escapeHtml(d.message)}</li>`,
        )
        .join('');

const HEAD = (title: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><link rel="stylesheet" href="/ui/app.css"></head>`;

/** The status page: the sources the viewer may read, kept live by /ui/app.js. */
export function statusPage(
  user: string,
  sources: readonly UiSource[],
  denials: readonly UiDenial[],
): string {
  return `${HEAD('driftgate status')}<body><header><h1>driftgate</h1><p>Signed in as <span id="user">${escapeHtml(user)}</span> · <span id="live" aria-live="polite">connecting…</span></p><form method="post" action="/ui/logout"><button type="submit">Sign out</button></form></header><main><table><caption>GitSources</caption><thead><tr><th scope="col">Source</th><th scope="col">Revision</th><th scope="col">Signer</th><th scope="col">Sync</th><th scope="col">Health</th><th scope="col">Objects</th><th scope="col">Drifted</th><th scope="col">Violations</th><th scope="col">Last synced</th></tr></thead><tbody id="sources">${sources.map(sourceRows).join('')}</tbody></table><section aria-labelledby="denials-title"><h2 id="denials-title">Admission denials</h2><ul id="denials">${denialItems(denials)}</ul></section></main><script src="/ui/app.js" defer></script></body></html>`;
}

/** The sign-in form: a Kubernetes token (kubectl create token …), as the Kubernetes dashboard asks. */
export function loginPage(error?: string): string {
  return `${HEAD('driftgate status: sign in')}<body><main class="login"><h1>driftgate</h1><form method="post" action="/ui/login"><label for="token">Kubernetes token</label><input id="token" name="token" type="password" autocomplete="off" required><button type="submit">Sign in</button>${error ? `<p role="alert" class="error">${escapeHtml(error)}</p>` : ''}</form><p>Get one with <code>kubectl create token &lt;serviceaccount&gt;</code>; you see the GitSources RBAC lets you get.</p></main></body></html>`;
}
