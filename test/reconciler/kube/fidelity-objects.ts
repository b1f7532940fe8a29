// The objects of the fidelity test (fidelity.e2e.test.ts): each sets fields the typed models of
// @kubernetes/client-node rename, as a user's Git repository would.

const widgetSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: 'self.size <= self.max', message: 'size must not exceed max' },
      ],
      properties: {
        size: { type: 'integer', default: 3 },
        max: { type: 'integer', default: 10 },
        colour: { type: 'string', enum: ['blue', 'green'], default: 'blue' },
        port: { 'x-kubernetes-int-or-string': true },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
        },
        selector: {
          type: 'object',
          'x-kubernetes-map-type': 'atomic',
          additionalProperties: { type: 'string' },
        },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string' }, number: { type: 'integer' } },
          },
        },
      },
    },
  },
};

export const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.fidelity.example.com' },
  spec: {
    group: 'fidelity.example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: widgetSchema } },
    ],
  },
};

const widget = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'fidelity.example.com/v1',
  kind: 'Widget',
  metadata: { name },
  spec,
});

export const WIDGETS = [
  widget('defaulted', {
    extra: { anything: { goes: true } },
    port: 'http',
    ports: [{ name: 'http', number: 80 }],
    selector: { app: 'w' },
    template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
  }),
  widget('too-big', { size: 20, max: 5 }),
];

const policy = { default: '1Gi', validRange: { min: '1Gi', step: '1Gi' } };
const device = {
  attributes: { cores: { int: 8 } },
  capacity: { memory: { value: '8Gi', requestPolicy: policy } },
};
const slice = (version: string, d: Record<string, unknown>) => ({
  apiVersion: `resource.k8s.io/${version}`,
  kind: 'ResourceSlice',
  metadata: { name: `fidelity-${version}` },
  spec: {
    driver: 'gpu.fidelity.example.com',
    pool: { name: `pool-${version}`, generation: 1, resourceSliceCount: 1 },
    allNodes: true,
    devices: [{ name: 'gpu-0', allowMultipleAllocations: true, ...d }],
  },
});
export const RESOURCE_SLICES = [
  slice('v1', device),
  slice('v1beta2', device),
  slice('v1beta1', {
    basic: { ...device, allowMultipleAllocations: true },
    allowMultipleAllocations: undefined,
  }),
];

const refusedCrd = (name: string, prop: Record<string, unknown>) => ({
  ...CRD,
  metadata: { name: `${name}s.fidelity.example.com` },
  spec: {
    ...CRD.spec,
    names: { plural: `${name}s`, singular: name, kind: name[0]?.toUpperCase() + name.slice(1) },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: prop } } },
      },
    ],
  },
});
export const REFUSED = [
  {
    name: '$ref',
    object: refusedCrd('reffed', { $ref: '#/definitions/spec' }),
    because: /reffeds.*\$ref is not supported/,
  },
  {
    name: '$schema',
    object: refusedCrd('schemed', { type: 'object', $schema: 'http://json-schema.org/schema#' }),
    // The apiserver names it by its Go field: it saw the key.
    because: /schemeds.*'schema' is not supported/,
  },
];

const yaml = (o: unknown): string => `${JSON.stringify(o)}\n`;

/** The repository's files: `apply/` syncs, `refused/` is refused by the apiserver. */
export function objectsFor(): Record<string, string> {
  const files: Record<string, string> = {
    'apply/networkpolicy.yaml': yaml({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'only-frontend' },
      spec: {
        podSelector: { matchLabels: { app: 'api' } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { role: 'frontend' } } },
              { namespaceSelector: { matchLabels: { team: 'shop' } } },
            ],
            ports: [{ protocol: 'TCP', port: 8080 }],
          },
        ],
      },
    }),
    'apply/limitrange.yaml': yaml({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'defaults' },
      spec: {
        limits: [
          {
            type: 'Container',
            default: { cpu: '500m', memory: '256Mi' },
            defaultRequest: { cpu: '100m', memory: '128Mi' },
          },
        ],
      },
    }),
    'apply/crd.yaml': yaml(CRD),
    'apply/widgets.yaml': WIDGETS.map(yaml).join('---\n'),
    'apply/resourceslices.yaml': RESOURCE_SLICES.map((s) =>
      yaml(JSON.parse(JSON.stringify(s))),
    ).join('---\n'),
    'apply/pages.yaml': [0, 1, 2, 3, 4]
      .map((i) =>
        yaml({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `page-${i}`, labels: { 'page-test': 'yes' } },
        }),
      )
      .join('---\n'),
  };
  for (const r of REFUSED) files[`refused/${r.name.slice(1)}.yaml`] = yaml(r.object);
  return files;
}
