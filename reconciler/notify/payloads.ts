// What each provider type is sent for one event. Pure: the URL, headers and body of one request.
// Messages are the source's own event messages (never a Secret value: see sync/context.ts); URLs
// and tokens are passed in, never put into a body.
import { createHmac } from 'node:crypto';
import type { ProviderType } from './schema.js';
import type { OutboundRequest } from '../../core/post.js';

/** One thing that happened to a source, as its Kubernetes Event says it. */
export interface NotifyEvent {
  readonly source: string;
  readonly reason: string;
  readonly type: 'Normal' | 'Warning';
  readonly message: string;
  /** The commit it is about (a refused head is not the applied revision). */
  readonly revision?: string;
  /** The repository URL without credentials. */
  readonly repoURL: string;
  /** The reconcile error codes in effect (e.g. RECONCILE_POLICY_HELD for a gate hold). */
  readonly codes?: readonly string[];
  readonly time: string;
}

export type { OutboundRequest };

const JSON_TYPE = { 'content-type': 'application/json' };

/** The generic webhook: the event as JSON, signed like GitHub's X-Hub-Signature-256. */
export function webhookRequest(url: string, e: NotifyEvent, key?: string): OutboundRequest {
  const body = JSON.stringify({ kind: 'driftgate.io/event', version: 1, ...e });
  return {
    url,
    headers: {
      ...JSON_TYPE,
      'x-driftgate-event': e.reason,
      ...(key
        ? {
            'x-driftgate-signature': `sha256=${createHmac('sha256', key).update(body).digest('hex')}`,
          }
        : {}),
    },
    body,
  };
}

/** A Slack incoming webhook's payload (text, with an attachment for colour and fields). */
export function slackRequest(url: string, e: NotifyEvent): OutboundRequest {
  const commit = e.revision ? ` at \`${e.revision.slice(0, 12)}\`` : '';
  const text = `driftgate: *${e.reason}* in source \`${e.source}\`${commit}`;
  const fields = [
    { title: 'Repository', value: e.repoURL, short: false },
    ...(e.codes && e.codes.length > 0
      ? [{ title: 'Codes', value: e.codes.join(', '), short: false }]
      : []),
  ];
  const attachment = {
    color: e.type === 'Warning' ? 'danger' : 'good',
    title: e.reason,
    text: e.message,
    fields,
    ts: Math.floor(Date.parse(e.time) / 1000),
  };
  return { url, headers: JSON_TYPE, body: JSON.stringify({ text, attachments: [attachment] }) };
}

type CommitState = 'success' | 'failure' | 'error';

/** What a commit shows for an event, and under which context; none for the others. */
const STATES: Record<string, { state: CommitState; suffix: string } | undefined> = {
  RevisionApplied: { state: 'success', suffix: '' },
  SyncFailed: { state: 'failure', suffix: '' },
  RenderFailed: { state: 'failure', suffix: '' },
  CommitRefused: { state: 'error', suffix: '' },
  // A refused policy commit keeps the last good policies while its manifests still apply: a
  // context of its own, so a later success does not hide it.
  PolicyRefused: { state: 'failure', suffix: '/policies' },
};

export const DEFAULT_API: Partial<Record<ProviderType, string>> = {
  github: 'https://api.github.com',
  gitlab: 'https://gitlab.com',
};

/** owner/name (GitLab: group/…/name) of an http(s) repository URL. */
export function repositoryPath(repoURL: string): string | undefined {
  let u: URL;
  try {
    u = new URL(repoURL);
  } catch {
    return undefined;
  }
  const path = u.pathname.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  return path.split('/').length >= 2 ? path : undefined;
}

/** `host/path` of a repository URL (https or scp-like), without `.git`; undefined if unreadable. */
export function repositoryId(repoURL: string): string | undefined {
  const scp = /^[\w.-]+@([\w.-]+):(.+)$/.exec(repoURL);
  let host: string;
  let path: string;
  if (scp) [host, path] = [scp[1] as string, scp[2] as string];
  else
    try {
      const u = new URL(repoURL);
      [host, path] = [u.host, u.pathname];
    } catch {
      return undefined;
    }
  return `${host.toLowerCase()}/${path.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '')}`;
}

/** The commit status request for a GitHub, GitLab or Gitea API; undefined when none applies. */
export function commitStatusRequest(
  type: 'github' | 'gitlab' | 'gitea',
  apiBase: string | undefined,
  e: NotifyEvent,
  token: string,
): OutboundRequest | undefined {
  const s = STATES[e.reason];
  const repo = repositoryPath(e.repoURL);
  if (!s || !repo || !e.revision || !/^[0-9a-f]{40,64}$/.test(e.revision)) return undefined;
  // Only the platform's API base (or the public one): never a host the event's repoURL names.
  const api = apiBase ?? DEFAULT_API[type];
  if (!api) return undefined;
  const base = api.replace(/\/+$/, '');
  const context = `driftgate/${e.source}${s.suffix}`;
  // GitHub keeps 140 characters of a description.
  const description = e.message.length > 140 ? `${e.message.slice(0, 139)}…` : e.message;
  if (type === 'gitlab')
    return {
      url: `${base}/api/v4/projects/${encodeURIComponent(repo)}/statuses/${e.revision}`,
      headers: { ...JSON_TYPE, 'private-token': token },
      body: JSON.stringify({
        state: s.state === 'success' ? 'success' : 'failed',
        name: context,
        description,
      }),
    };
  const [owner, name] = repo.split('/') as [string, string];
  const path = `repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/statuses/${e.revision}`;
  return type === 'github'
    ? {
        url: `${base}/${path}`,
        headers: {
          ...JSON_TYPE,
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${token}`,
          'x-github-api-version': '2022-11-28',
        },
        body: JSON.stringify({ state: s.state, context, description }),
      }
    : {
        url: `${base}/api/v1/${path}`,
        headers: { ...JSON_TYPE, authorization: `token ${token}` },
        body: JSON.stringify({ state: s.state, context, description }),
      };
}
