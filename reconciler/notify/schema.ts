// The reconciler config's `notifications`: where driftgate tells people what happened (providers)
// and what goes where (alerts). Set by the platform in the chart's values, as Argo CD's
// notifications ConfigMap is, not by tenants: endpoints and tokens come from mounted Secret files.
import { Type } from '@sinclair/typebox';
import { Duration, Int, Mapping, OneOf, Str, Strings } from '../../core/schema/keywords.js';

const Optional = Type.Optional;

/** The events a source raises (its Kubernetes Events' reasons), and so what an alert may name. */
export const NOTIFY_EVENTS = [
  'RevisionApplied',
  'SyncFailed',
  'CommitRefused',
  'RenderFailed',
  'PolicyRefused',
  'PruneRefused',
  'DriftFight',
  'BreakGlassUsed',
  'BreakGlassExpired',
] as const;
export type NotifyReason = (typeof NOTIFY_EVENTS)[number];

export const PROVIDER_TYPES = ['webhook', 'slack', 'github', 'gitlab', 'gitea'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export const ProviderSchema = Mapping(
  {
    name: Str({ description: 'what alerts call it', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    type: OneOf(PROVIDER_TYPES, {
      description:
        'webhook (JSON, HMAC-signed), slack (incoming webhook), or commit status on github, gitlab or gitea',
    }),
    address: Optional(
      Str({
        description:
          'the URL to POST to; for commit status the API base (default https://api.github.com, https://gitlab.com)',
        pattern: '^https?://',
      }),
    ),
    addressFile: Optional(
      Str({
        description: 'a file holding the URL (a Secret: a Slack webhook URL is a credential)',
      }),
    ),
    secretFile: Optional(Str({ description: 'webhook: HMAC-SHA256 key of X-Driftgate-Signature' })),
    tokenFile: Optional(Str({ description: 'github, gitlab, gitea: an API token' })),
    caFile: Optional(Str({ description: 'PEM CA bundle to trust beside the system roots' })),
    repositories: Strings({
      description:
        "commit status: the repositories it may set statuses on, as host/path globs (* any characters, e.g. github.com/platform/*); empty: the config file's own sources only, never a tenant's GitSource",
      default: [],
    }),
    timeout: Duration({ description: 'per request', default: '5s' }),
    perMinute: Int(1, 6000, { description: 'at most this many requests a minute', default: 60 }),
  },
  { description: 'a notification endpoint' },
);

export const AlertSchema = Mapping(
  {
    providers: Strings({ description: 'provider names', minItems: 1 }),
    events: Type.Array(OneOf(NOTIFY_EVENTS, { description: 'an event reason' }), {
      description: 'which events (default all)',
      default: [...NOTIFY_EVENTS],
    }),
    sources: Strings({
      description: 'source names; * matches any characters (a GitSource is <namespace>.<name>)',
      default: ['*'],
    }),
  },
  { description: 'which events of which sources go to which providers' },
);

export const NotificationsSchema = Mapping(
  {
    providers: Type.Array(ProviderSchema, {
      description: 'notification endpoints',
      default: [],
      itemLabel: 'name',
    }),
    alerts: Type.Array(AlertSchema, { description: 'what goes where', default: [] }),
    queueSize: Int(1, 10_000, {
      description: 'events waiting per provider; past it new ones are dropped (and counted)',
      default: 100,
    }),
    dedupWindow: Duration({
      description: 'the same event for the same commit is sent once within it',
      default: '5m',
    }),
  },
  { description: 'notifications: webhooks, Slack, commit status', default: {} },
);
