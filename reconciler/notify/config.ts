// The parsed `notifications` config, and the checks the schema cannot make (an alert names a
// provider that exists; each provider has what its type needs). Pure.
import type { Static } from '@sinclair/typebox';
import { durationMs, positiveMs } from '../../core/duration.js';
import type { NotificationsSchema, ProviderType } from './schema.js';

export interface ProviderConfig {
  readonly name: string;
  readonly type: ProviderType;
  readonly address?: string;
  readonly addressFile?: string;
  readonly secretFile?: string;
  readonly tokenFile?: string;
  readonly caFile?: string;
  readonly timeoutMs: number;
  readonly perMinute: number;
}

export interface NotificationsConfig {
  readonly providers: readonly ProviderConfig[];
  readonly alerts: readonly {
    readonly providers: readonly string[];
    readonly events: readonly string[];
    readonly sources: readonly string[];
  }[];
  readonly queueSize: number;
  readonly dedupWindowMs: number;
}

export function notificationsConfig(
  raw: Static<typeof NotificationsSchema>,
  problems: string[],
): NotificationsConfig {
  const names = new Set<string>();
  const providers = raw.providers.map((p, i): ProviderConfig => {
    const at = `notifications.providers[${i}] (${p.name})`;
    if (names.has(p.name)) problems.push(`${at}: another provider has this name`);
    names.add(p.name);
    const commit = p.type !== 'webhook' && p.type !== 'slack';
    if (!commit && !p.address && !p.addressFile)
      problems.push(`${at}: a ${p.type} provider needs address or addressFile`);
    if (commit && !p.tokenFile) problems.push(`${at}: commit status on ${p.type} needs tokenFile`);
    if (p.secretFile && p.type !== 'webhook')
      problems.push(`${at}: secretFile signs webhook requests only`);
    const { timeout, ...rest } = p;
    return { ...rest, timeoutMs: positiveMs(timeout, `${at}.timeout`, problems) };
  });
  raw.alerts.forEach((a, i) => {
    for (const p of a.providers)
      if (!names.has(p)) problems.push(`notifications.alerts[${i}]: no provider named ${p}`);
  });
  return {
    providers,
    alerts: raw.alerts,
    queueSize: raw.queueSize,
    dedupWindowMs: durationMs(raw.dedupWindow),
  };
}
