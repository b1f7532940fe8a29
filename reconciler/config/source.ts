import { ConfigReader, type KeyDoc } from '../../core/config-reader.js';
import type { ConfigInputs, SourceConfig } from './config.js';
import type { TrustConfig } from '../verify/verifier.js';

/** A source's defaults, in one place. */
export const SOURCE_DEFAULTS = {
  ref: 'main',
  path: '.',
  destinationNamespace: 'default',
  interval: '3m',
  timeout: '60s',
  prune: true,
  selfHeal: true,
  createNamespace: false,
  suspend: false,
  allowForcePush: false,
  maxPruneFraction: 0.5,
  pruneCRDs: false,
  fightThreshold: 5,
  retry: { limit: 5, backoff: '5s', factor: 2, maxDuration: '3m' },
  verificationMode: 'head',
} as const;

const D = SOURCE_DEFAULTS;

export const TRUST_KEYS: readonly KeyDoc[] = [
  {
    key: 'mode',
    default: D.verificationMode,
    doc: 'head (the head commit) or strict (every commit since the applied one)',
  },
  { key: 'sshAllowedSigners', doc: 'ssh-keygen allowed_signers text' },
  { key: 'sshAllowedSignersFile', doc: 'a file holding it' },
  {
    key: 'openpgp',
    doc: 'a list of trusted OpenPGP keys',
    children: [
      { key: 'publicKey', doc: 'armored public key' },
      { key: 'publicKeyFile', doc: 'a file holding it' },
      { key: 'identities', doc: 'committer emails it may sign for (globs)' },
    ],
  },
  {
    key: 'x509',
    doc: 'trusted CAs for gpgsm (X.509) signatures',
    children: [
      { key: 'cas', doc: 'PEM certificates' },
      { key: 'caFiles', doc: 'files holding them' },
      { key: 'identities', doc: 'committer emails they may sign for (globs)' },
    ],
  },
];

/** Every key a source may have; unknown keys are refused with a suggestion. */
export const SOURCE_KEYS: readonly KeyDoc[] = [
  { key: 'name', doc: 'a DNS label, unique' },
  { key: 'repoURL', doc: 'http(s) URL of the Git repository' },
  { key: 'ref', default: D.ref, doc: 'branch, tag or commit' },
  { key: 'path', default: D.path, doc: 'folder of plain YAML, a kustomization or a Helm chart' },
  {
    key: 'destinationNamespace',
    default: D.destinationNamespace,
    doc: 'where namespaced objects go',
  },
  { key: 'interval', default: D.interval, doc: 'full resync period' },
  { key: 'timeout', default: D.timeout, doc: 'deadline of each Git network call' },
  { key: 'prune', default: D.prune, doc: 'delete what Git no longer declares' },
  { key: 'selfHeal', default: D.selfHeal, doc: 'revert manual changes' },
  { key: 'createNamespace', default: D.createNamespace, doc: 'create destinationNamespace' },
  { key: 'suspend', default: D.suspend, doc: 'start suspended' },
  { key: 'allowForcePush', default: D.allowForcePush, doc: 'accept rewritten history' },
  { key: 'maxPruneFraction', default: D.maxPruneFraction, doc: 'refuse a prune of a larger share' },
  {
    key: 'pruneCRDs',
    default: D.pruneCRDs,
    doc: 'delete a CRD Git no longer declares (and with it every object of its kind)',
  },
  { key: 'fightThreshold', default: D.fightThreshold, doc: 'reverts per minute before a fight' },
  { key: 'allowedNamespaces', doc: 'more namespaces it may write ("*": any)' },
  { key: 'clusterScopedKinds', doc: 'cluster-scoped kinds it may write (Kind or group/Kind)' },
  { key: 'policyPath', doc: 'a folder of Rego policies with tests in the same repository' },
  {
    key: 'policyEnforcement',
    default: 'own',
    doc: 'policies its enforcement.yaml may set: own, or all (the platform repository)',
  },
  {
    key: 'retry',
    doc: 'backoff after transient errors',
    children: [
      { key: 'limit', default: D.retry.limit, doc: 'retries before falling back to the interval' },
      { key: 'backoff', default: D.retry.backoff, doc: 'first delay' },
      { key: 'factor', default: D.retry.factor, doc: 'growth per retry' },
      { key: 'maxDuration', default: D.retry.maxDuration, doc: 'longest delay' },
    ],
  },
  {
    key: 'ignoreDifferences',
    doc: 'fields driftgate leaves alone',
    children: [
      { key: 'group', doc: 'API group ("" for core)' },
      { key: 'kind', doc: 'kind' },
      { key: 'jsonPointers', doc: 'JSON pointers, e.g. /spec/replicas' },
    ],
  },
  {
    key: 'credentials',
    doc: 'Git credentials, read from files at fetch time',
    children: [
      { key: 'usernameFile', doc: 'username' },
      { key: 'passwordFile', doc: 'password' },
      { key: 'tokenFile', doc: 'token (x-access-token)' },
    ],
  },
  {
    key: 'verification',
    doc: 'trusted signers: unsigned Git is never applied',
    children: TRUST_KEYS,
  },
  {
    key: 'helm',
    doc: 'for a chart path',
    children: [
      { key: 'releaseName', doc: 'default: the source name' },
      { key: 'namespace', doc: 'the release namespace (default: destinationNamespace)' },
      { key: 'valuesFiles', doc: 'values files in the chart folder' },
      { key: 'values', doc: 'inline values (a mapping), applied over the values files' },
      { key: 'skipCRDs', default: false, doc: "leave out the chart's crds/ folder" },
    ],
  },
];

const NAME = /^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/;
const childKeys = (key: string, of: readonly KeyDoc[] = SOURCE_KEYS): readonly KeyDoc[] =>
  of.find((k) => k.key === key)?.children ?? [];

/** The text of a file the composition root read for the config; a problem when it could not. */
function fileText(r: ConfigReader, key: string, inputs: ConfigInputs): string | undefined {
  const path = r.optStr(key);
  if (path === undefined) return undefined;
  const text = inputs.files?.get(path);
  if (text === undefined) r.problems.push(`${r.at(key)}: cannot read ${path}`);
  return text;
}

/** Trusted signers (a `verification` block). Pure: files come already read in `inputs`. */
export function parseTrust(r: ConfigReader, inputs: ConfigInputs = {}): TrustConfig {
  r.known(TRUST_KEYS);
  const ssh = r.optStr('sshAllowedSigners') ?? fileText(r, 'sshAllowedSignersFile', inputs);
  const pgp = r.has('openpgp')
    ? r.items('openpgp').map((item, i) => {
        const k = ConfigReader.of(item, r.at(`openpgp[${i}]`), r.problems);
        k.known(childKeys('openpgp', TRUST_KEYS));
        const publicKey = k.optStr('publicKey') ?? fileText(k, 'publicKeyFile', inputs);
        if (!publicKey) r.problems.push(`${k.where} needs publicKey or publicKeyFile`);
        return {
          publicKey: publicKey ?? '',
          ...(k.has('identities') ? { identities: k.list('identities') } : {}),
        };
      })
    : undefined;
  const x = r.has('x509') ? r.child('x509') : undefined;
  x?.known(childKeys('x509', TRUST_KEYS));
  const cas = x
    ? [
        ...x.list('cas'),
        ...x.list('caFiles').map((f) => {
          const text = inputs.files?.get(f);
          if (text === undefined) r.problems.push(`${x.at('caFiles')}: cannot read ${f}`);
          return text ?? '';
        }),
      ]
    : [];
  const out: TrustConfig = {
    ...(ssh ? { sshAllowedSigners: ssh } : {}),
    ...(pgp ? { openpgp: pgp } : {}),
    ...(x
      ? { x509: { cas, ...(x.has('identities') ? { identities: x.list('identities') } : {}) } }
      : {}),
  };
  if (!out.sshAllowedSigners && !out.openpgp?.length && !out.x509?.cas.length)
    r.problems.push(
      `${r.where}: no trusted signers (sshAllowedSigners, openpgp or x509): unsigned Git is never applied`,
    );
  return out;
}

/** One source. Pure; problems are added to the reader's list. */
export function parseSource(
  r: ConfigReader,
  names: Set<string>,
  inputs: ConfigInputs,
): SourceConfig {
  r.known(SOURCE_KEYS);
  const name = r.str('name');
  if (name && !NAME.test(name))
    r.problems.push(`${r.at('name')} must be a DNS label (lowercase, digits, dashes)`);
  if (names.has(name)) r.problems.push(`${r.at('name')} is used twice`);
  names.add(name);
  const repoURL = r.str('repoURL');
  if (repoURL && !/^https?:\/\//.test(repoURL))
    r.problems.push(
      `${r.at('repoURL')} must be http:// or https:// (isomorphic-git speaks smart HTTP)`,
    );
  const fraction = r.raw.maxPruneFraction ?? D.maxPruneFraction;
  if (typeof fraction !== 'number' || fraction <= 0 || fraction > 1)
    r.problems.push(`${r.at('maxPruneFraction')} must be a number in (0, 1]`);
  const retry = r.child('retry');
  retry.known(childKeys('retry'));
  const verification = r.child('verification');
  const creds = r.has('credentials') ? r.child('credentials') : undefined;
  creds?.known(childKeys('credentials'));
  const helm = r.has('helm') ? r.child('helm') : undefined;
  helm?.known(childKeys('helm'));
  return {
    name,
    repoURL,
    ref: r.str('ref', D.ref),
    path: r.optStr('path') ?? D.path,
    destinationNamespace: r.str('destinationNamespace', D.destinationNamespace),
    intervalMs: r.duration('interval', D.interval),
    timeoutMs: r.duration('timeout', D.timeout),
    prune: r.bool('prune', D.prune),
    selfHeal: r.bool('selfHeal', D.selfHeal),
    createNamespace: r.bool('createNamespace', D.createNamespace),
    suspend: r.bool('suspend', D.suspend),
    allowForcePush: r.bool('allowForcePush', D.allowForcePush),
    maxPruneFraction: Number(fraction),
    pruneCRDs: r.bool('pruneCRDs', D.pruneCRDs),
    allowedNamespaces: r.list('allowedNamespaces'),
    clusterScopedKinds: r.list('clusterScopedKinds'),
    fightThreshold: r.int('fightThreshold', D.fightThreshold, 1, 1000),
    retry: {
      limit: retry.int('limit', D.retry.limit, 0, 1000),
      backoffMs: retry.duration('backoff', D.retry.backoff),
      factor: typeof retry.raw.factor === 'number' ? retry.raw.factor : D.retry.factor,
      maxMs: retry.duration('maxDuration', D.retry.maxDuration),
    },
    ignoreDifferences: r.items('ignoreDifferences').map((item, j) => {
      const e = ConfigReader.of(item, r.at(`ignoreDifferences[${j}]`), r.problems);
      e.known(childKeys('ignoreDifferences'));
      const ptrs = Array.isArray(e.raw.jsonPointers) ? e.raw.jsonPointers.map(String) : [];
      if (typeof e.raw.kind !== 'string' || ptrs.some((p) => !p.startsWith('/')))
        r.problems.push(`${e.where} needs kind and jsonPointers starting with /`);
      return {
        group: String(e.raw.group ?? ''),
        kind: String(e.raw.kind ?? ''),
        jsonPointers: ptrs,
      };
    }),
    ...(creds
      ? {
          credentials: Object.fromEntries(
            (['usernameFile', 'passwordFile', 'tokenFile'] as const).flatMap((k) => {
              const v = creds.optStr(k);
              return v ? [[k, v]] : [];
            }),
          ),
        }
      : {}),
    verification: {
      mode: verification.oneOf('mode', D.verificationMode, ['head', 'strict'] as const),
      trust: parseTrust(verification, inputs),
    },
    ...(r.optStr('policyPath') ? { policyPath: r.optStr('policyPath') as string } : {}),
    policyEnforcement: r.oneOf('policyEnforcement', 'own', ['own', 'all'] as const),
    ...(helm
      ? {
          helm: {
            releaseName: helm.optStr('releaseName') ?? name,
            ...(helm.optStr('namespace') ? { namespace: helm.optStr('namespace') as string } : {}),
            valuesFiles: helm.list('valuesFiles'),
            ...inlineValues(helm),
            skipCRDs: helm.bool('skipCRDs', false),
          },
        }
      : {}),
  };
}

/** `helm.values`: a mapping, or a problem. */
function inlineValues(helm: ConfigReader): { values?: Record<string, unknown> } {
  const v = helm.raw.values;
  if (v === undefined) return {};
  if (typeof v === 'object' && v !== null && !Array.isArray(v))
    return { values: v as Record<string, unknown> };
  helm.problems.push(`${helm.at('values')} must be a mapping`);
  return {};
}
