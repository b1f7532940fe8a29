// A source's config: what SourceSchema validated, turned into what the reconciler runs on.
import type { Static } from '@sinclair/typebox';
import { durationMs as ms } from '../../core/duration.js';
import { readSchema } from '../../core/schema/check.js';
import type { ConfigInputs, SourceConfig } from './config.js';
import { SourceSchema, TrustSchema } from './source-schema.js';
import type { TrustConfig } from '../verify/verifier.js';

type Trust = Static<typeof TrustSchema>;
type Source = Static<typeof SourceSchema>;

/** The text of a file the composition root read for the config; a problem when it could not. */
function fileText(
  path: string | undefined,
  at: string,
  inputs: ConfigInputs,
  problems: string[],
): string | undefined {
  if (path === undefined) return undefined;
  const text = inputs.files?.get(path);
  if (text === undefined) problems.push(`${at}: cannot read ${path}`);
  return text;
}

/** Trusted signers from a checked `verification` block; files come already read in `inputs`. */
function trustOf(t: Trust, where: string, problems: string[], inputs: ConfigInputs): TrustConfig {
  const at = (k: string) => `${where}.${k}`;
  const ssh =
    t.sshAllowedSigners ??
    fileText(t.sshAllowedSignersFile, at('sshAllowedSignersFile'), inputs, problems);
  const pgp = t.openpgp?.map((k, i) => {
    const publicKey =
      k.publicKey ?? fileText(k.publicKeyFile, at(`openpgp[${i}].publicKeyFile`), inputs, problems);
    if (!publicKey) problems.push(`${at(`openpgp[${i}]`)} needs publicKey or publicKeyFile`);
    return { publicKey: publicKey ?? '', ...(k.identities ? { identities: k.identities } : {}) };
  });
  const x = t.x509;
  const cas = x
    ? [...x.cas, ...x.caFiles.map((f) => fileText(f, at('x509.caFiles'), inputs, problems) ?? '')]
    : [];
  const out: TrustConfig = {
    ...(ssh ? { sshAllowedSigners: ssh } : {}),
    ...(pgp ? { openpgp: pgp } : {}),
    ...(x ? { x509: { cas, ...(x.identities ? { identities: x.identities } : {}) } } : {}),
  };
  if (!out.sshAllowedSigners && !out.openpgp?.length && !out.x509?.cas.length)
    problems.push(
      `${where}: no trusted signers (sshAllowedSigners, openpgp or x509): unsigned Git is never applied`,
    );
  return out;
}

/** Trusted signers (a `verification` block, or a `--trust` file). Pure; problems collected. */
export function parseTrust(
  raw: unknown,
  where: string,
  problems: string[],
  inputs: ConfigInputs = {},
): TrustConfig {
  return trustOf(readSchema(TrustSchema, raw, where, problems), where, problems, inputs);
}

/** One checked source as the reconciler runs it. Pure; problems are added to `problems`. */
export function sourceOf(
  s: Source,
  where: string,
  problems: string[],
  names: Set<string>,
  inputs: ConfigInputs,
): SourceConfig {
  if (names.has(s.name)) problems.push(`${where}.name is used twice`);
  names.add(s.name);
  const { interval, timeout, retry, verification, helm, credentials, policyPath, ...rest } = s;
  const { mode, ...trust } = verification;
  return {
    ...rest,
    path: s.path || '.',
    intervalMs: ms(interval),
    timeoutMs: ms(timeout),
    retry: {
      limit: retry.limit,
      backoffMs: ms(retry.backoff),
      factor: retry.factor,
      maxMs: ms(retry.maxDuration),
    },
    ...(credentials ? { credentials } : {}),
    verification: {
      mode,
      trust: trustOf({ mode, ...trust }, `${where}.verification`, problems, inputs),
    },
    ...(policyPath ? { policyPath } : {}),
    ...(helm ? { helm: { ...helm, releaseName: helm.releaseName ?? s.name } } : {}),
  };
}

/** One raw source (a GitSource's, mapped): checked against SourceSchema, then as sourceOf. */
export function parseSource(
  raw: unknown,
  where: string,
  problems: string[],
  names: Set<string>,
  inputs: ConfigInputs,
): SourceConfig {
  return sourceOf(readSchema(SourceSchema, raw, where, problems), where, problems, names, inputs);
}
