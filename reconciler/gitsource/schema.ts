// The GitSource resource's schema: the CRD's openAPIV3Schema is generated from it
// (npm run generate), sharing its leaves and defaults with a config source.
import { Type } from '@sinclair/typebox';
import { Mapping, OneOf, Str } from '../../core/schema/keywords.js';
import { HelmLeaves, SourceLeaves } from '../config/source-schema.js';

const Optional = Type.Optional;
const Ref = (description: string) =>
  Mapping({ name: Str({ description: 'its name', maxLength: 253 }) }, { description });

const ValuesFrom = Mapping(
  {
    kind: OneOf(['ConfigMap', 'Secret'], { description: 'ConfigMap or Secret' }),
    name: Str({ description: 'its name', maxLength: 253 }),
    valuesKey: Str({
      description: 'the key holding the YAML values',
      maxLength: 253,
      default: 'values.yaml',
    }),
  },
  { description: 'one ConfigMap or Secret' },
);

export const GitSourceSpecSchema = Mapping(
  {
    repoURL: SourceLeaves.repoURL,
    ref: SourceLeaves.ref,
    path: SourceLeaves.path,
    interval: SourceLeaves.interval,
    timeout: SourceLeaves.timeout,
    destinationNamespace: Optional(
      Str({
        description: "where namespaced objects go (default the GitSource's own namespace)",
        maxLength: 63,
      }),
    ),
    serviceAccountName: Optional(
      Str({
        description:
          "apply as this ServiceAccount of the GitSource's namespace (impersonation): its RBAC decides what the source may create",
        maxLength: 253,
      }),
    ),
    secretRef: Optional(
      Ref(
        "a Secret in the GitSource's namespace with the Git credentials: username and password, or token (read at every sync; never shown)",
      ),
    ),
    kubeConfig: Optional(
      Mapping(
        {
          secretRef: Mapping(
            {
              name: Str({ description: 'its name', maxLength: 253 }),
              key: Optional(
                Str({
                  description: 'the key holding the kubeconfig (default value, then value.yaml)',
                  maxLength: 253,
                }),
              ),
            },
            {
              description:
                "a Secret in the GitSource's namespace with a kubeconfig of inline credentials (exec plugins, auth providers and file references are refused; never shown)",
            },
          ),
        },
        {
          description:
            'apply to another cluster (one the platform lists in gitSources.clusters for this namespace)',
        },
      ),
    ),
    policyPath: Optional(
      Str({
        ...SourceLeaves.policyPath,
        description:
          "a folder of Rego policies with tests in the same repository (they add to the platform's)",
      }),
    ),
    suspend: SourceLeaves.suspend,
    prune: SourceLeaves.prune,
    pruneCRDs: SourceLeaves.pruneCRDs,
    selfHeal: SourceLeaves.selfHeal,
    helm: Optional(
      Mapping(
        {
          releaseName: Optional(
            Str({
              ...HelmLeaves.releaseName,
              description: "the release name (default the GitSource's own name)",
            }),
          ),
          namespace: Optional(HelmLeaves.namespace),
          valuesFiles: Optional(HelmLeaves.valuesFiles),
          valuesFrom: Optional(
            Type.Array(ValuesFrom, {
              maxItems: 16,
              description:
                "values from ConfigMaps or Secrets of the GitSource's namespace, in order, over the values files (Secret values are never shown)",
            }),
          ),
          values: Optional(HelmLeaves.values),
          skipCRDs: HelmLeaves.skipCRDs,
        },
        { description: 'how the chart at path is rendered (ignored for other folders)' },
      ),
    ),
    deletionPolicy: OneOf(['Orphan', 'Delete'], {
      description: 'on deleting the GitSource: Orphan leaves its objects, Delete deletes them',
      default: 'Orphan',
    }),
    verification: Mapping(
      {
        mode: SourceLeaves.verificationMode,
        configMapRef: Ref(
          "a ConfigMap in the GitSource's namespace: sshAllowedSigners (allowed_signers text), openpgp (armored public keys), x509 (PEM CAs)",
        ),
      },
      { description: 'the keys whose signatures are trusted; unsigned commits are never applied' },
    ),
  },
  {
    description: 'a Git repository driftgate verifies, renders and keeps applied',
    'x-kubernetes-validations': [
      {
        rule: "!has(self.destinationNamespace) || self.destinationNamespace.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",
        message: 'destinationNamespace must be a DNS label',
      },
    ],
  },
);

const Condition = Type.Object(
  {
    type: Type.String({ description: 'Ready, Synced, Healthy, Stalled, HookRunning' }),
    status: Type.Unsafe<string>({
      type: 'string',
      enum: ['True', 'False', 'Unknown'],
      description: 'True, False or Unknown',
    }),
    observedGeneration: Optional(
      Type.Integer({ format: 'int64', description: 'the spec it describes' }),
    ),
    lastTransitionTime: Type.String({
      format: 'date-time',
      description: 'when status last changed',
    }),
    reason: Type.String({
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      description: 'a CamelCase reason',
    }),
    message: Optional(
      Type.String({ maxLength: 32768, description: 'what happened, and what to do' }),
    ),
  },
  { description: 'a condition' },
);

export const GitSourceStatusSchema = Type.Object(
  {
    observedGeneration: Optional(
      Type.Integer({ format: 'int64', description: 'the spec last read' }),
    ),
    lastAppliedRevision: Optional(Type.String({ description: 'the commit applied last' })),
    lastAttemptedRevision: Optional(Type.String({ description: 'the commit tried last' })),
    signer: Optional(Type.String({ description: 'who signed the applied commit' })),
    conditions: Optional(
      Type.Array(Condition, {
        description: 'Ready, Synced, Healthy and the rest',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      }),
    ),
  },
  {
    description: 'what the reconciler saw (written by it only)',
    'x-kubernetes-preserve-unknown-fields': true,
  },
);
