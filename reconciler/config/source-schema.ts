// One Git source's schema: the reconciler config's `sources[]`, and the leaves the GitSource CRD
// shares with it (gitsource/schema.ts), so each default is written once.
import { Type } from '@sinclair/typebox';
import {
  Bool,
  Duration,
  FreeForm,
  Int,
  Mapping,
  OneOf,
  Str,
  Strings,
} from '../../core/schema/keywords.js';

const Optional = Type.Optional;
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** Leaves a source and a GitSource spell the same way. */
export const SourceLeaves = {
  repoURL: Str({
    description: 'http(s) URL of the Git repository',
    pattern: '^https?://',
    maxLength: 2048,
    errorMessage: 'must be http:// or https:// (isomorphic-git speaks smart HTTP)',
  }),
  ref: Str({ description: 'branch, tag or commit', default: 'main', maxLength: 255 }),
  path: Type.String({
    description: 'folder of plain YAML, a kustomization or a Helm chart ("" is ".")',
    errorMessage: 'must be a string',
    default: '.',
    maxLength: 1024,
  }),
  interval: Duration({ description: 'full resync period', default: '3m' }),
  timeout: Duration({ description: 'deadline of each Git network call', default: '60s' }),
  prune: Bool({ description: 'delete what Git no longer declares', default: true }),
  selfHeal: Bool({ description: 'revert manual changes', default: true }),
  suspend: Bool({ description: 'stop syncing and self-healing', default: false }),
  pruneCRDs: Bool({
    description: 'delete a CRD Git no longer declares (and with it every object of its kind)',
    default: false,
  }),
  policyPath: Str({
    description: 'a folder of Rego policies with tests in the same repository',
    maxLength: 1024,
  }),
  verificationMode: OneOf(['head', 'strict'], {
    description: 'head (the head commit) or strict (every commit since the applied one)',
    default: 'head',
  }),
};

/** `helm:` of a source, and of a GitSource (which adds valuesFrom). */
export const HelmLeaves = {
  releaseName: Str({
    description: 'the release name (default: the source name)',
    maxLength: 53,
    pattern: DNS_LABEL,
    errorMessage: 'must be a DNS label of at most 53 characters',
  }),
  namespace: Str({
    description: 'the release namespace (default: destinationNamespace)',
    maxLength: 63,
  }),
  valuesFiles: Strings({
    description: 'values files in the chart folder, in order',
    default: [],
    maxItems: 32,
  }),
  values: FreeForm({ description: 'inline values (a mapping), over the values files' }),
  skipCRDs: Bool({ description: "leave out the chart's crds/ folder", default: false }),
};

const OpenPgpKey = Mapping(
  {
    publicKey: Optional(Str({ description: 'armored public key' })),
    publicKeyFile: Optional(Str({ description: 'a file holding it' })),
    identities: Optional(Strings({ description: 'committer emails it may sign for (globs)' })),
  },
  { description: 'a trusted OpenPGP key' },
);

/** Trusted signers: a source's `verification`, and `driftgate verify --trust`. */
export const TrustSchema = Mapping(
  {
    mode: SourceLeaves.verificationMode,
    sshAllowedSigners: Optional(Str({ description: 'ssh-keygen allowed_signers text' })),
    sshAllowedSignersFile: Optional(Str({ description: 'a file holding it' })),
    openpgp: Optional(
      Type.Array(OpenPgpKey, {
        description: 'a list of trusted OpenPGP keys',
        errorMessage: 'must be a list',
      }),
    ),
    x509: Optional(
      Mapping(
        {
          cas: Strings({ description: 'PEM certificates', default: [] }),
          caFiles: Strings({ description: 'files holding them', default: [] }),
          identities: Optional(
            Strings({ description: 'committer emails they may sign for (globs)' }),
          ),
        },
        { description: 'trusted CAs for gpgsm (X.509) signatures' },
      ),
    ),
  },
  { description: 'trusted signers: unsigned Git is never applied' },
);

/** Every key a source may have; unknown keys are refused with a suggestion. */
export const SourceSchema = Mapping(
  {
    name: Str({
      description: 'a DNS label, unique',
      pattern: '^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$',
      errorMessage: 'must be a DNS label (lowercase, digits, dashes)',
    }),
    repoURL: SourceLeaves.repoURL,
    ref: SourceLeaves.ref,
    path: SourceLeaves.path,
    destinationNamespace: Str({ description: 'where namespaced objects go', default: 'default' }),
    interval: SourceLeaves.interval,
    timeout: SourceLeaves.timeout,
    prune: SourceLeaves.prune,
    selfHeal: SourceLeaves.selfHeal,
    createNamespace: Bool({ description: 'create destinationNamespace', default: false }),
    suspend: SourceLeaves.suspend,
    allowForcePush: Bool({ description: 'accept rewritten history', default: false }),
    maxPruneFraction: Type.Number({
      description: 'refuse a prune of a larger share',
      default: 0.5,
      exclusiveMinimum: 0,
      maximum: 1,
      errorMessage: 'must be a number in (0, 1]',
    }),
    pruneCRDs: SourceLeaves.pruneCRDs,
    fightThreshold: Int(1, 1000, { description: 'reverts per minute before a fight', default: 5 }),
    allowedNamespaces: Strings({
      description: 'more namespaces it may write ("*": any)',
      default: [],
    }),
    clusterScopedKinds: Strings({
      description: 'cluster-scoped kinds it may write (Kind or group/Kind)',
      default: [],
    }),
    policyPath: Optional(SourceLeaves.policyPath),
    policyEnforcement: OneOf(['own', 'all'], {
      description: 'policies its enforcement.yaml may set: own, or all (the platform repository)',
      default: 'own',
    }),
    retry: Mapping(
      {
        limit: Int(0, 1000, {
          description: 'retries before falling back to the interval',
          default: 5,
        }),
        backoff: Duration({ description: 'first delay', default: '5s' }),
        factor: Type.Number({
          description: 'growth per retry',
          default: 2,
          minimum: 1,
          errorMessage: 'must be a number of at least 1',
        }),
        maxDuration: Duration({ description: 'longest delay', default: '3m' }),
      },
      { description: 'backoff after transient errors', default: {} },
    ),
    ignoreDifferences: Type.Array(
      Mapping(
        {
          group: Type.String({ description: 'API group ("" for core)', default: '' }),
          kind: Str({ description: 'kind' }),
          jsonPointers: Strings(
            { description: 'JSON pointers, e.g. /spec/replicas' },
            { pattern: '^/', errorMessage: 'must start with /' },
          ),
        },
        { description: 'a field driftgate leaves alone' },
      ),
      { description: 'fields driftgate leaves alone', default: [] },
    ),
    credentials: Optional(
      Mapping(
        {
          usernameFile: Optional(Str({ description: 'username' })),
          passwordFile: Optional(Str({ description: 'password' })),
          tokenFile: Optional(Str({ description: 'token (x-access-token)' })),
        },
        { description: 'Git credentials, read from files at fetch time' },
      ),
    ),
    verification: TrustSchema,
    helm: Optional(
      Mapping(
        {
          releaseName: Optional(HelmLeaves.releaseName),
          namespace: Optional(HelmLeaves.namespace),
          valuesFiles: HelmLeaves.valuesFiles,
          values: Optional(HelmLeaves.values),
          skipCRDs: HelmLeaves.skipCRDs,
        },
        { description: 'for a chart path' },
      ),
    ),
  },
  { description: 'a Git source' },
);
