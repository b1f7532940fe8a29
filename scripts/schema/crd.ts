// The GitSource CustomResourceDefinition, its schema from reconciler/gitsource/schema.ts.
import { toOpenApi } from '../../core/schema/export.js';
import { GITSOURCE } from '../../reconciler/gitsource/spec.js';
import { GitSourceSpecSchema, GitSourceStatusSchema } from '../../reconciler/gitsource/schema.js';

const condition = (type: string) => `.status.conditions[?(@.type=="${type}")]`;

/** The CRD object. Pure. */
export function gitSourceCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${GITSOURCE.plural}.${GITSOURCE.group}` },
    spec: {
      group: GITSOURCE.group,
      names: {
        kind: GITSOURCE.kind,
        listKind: `${GITSOURCE.kind}List`,
        plural: GITSOURCE.plural,
        singular: GITSOURCE.kind.toLowerCase(),
        shortNames: ['gsrc'],
        categories: ['driftgate'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: GITSOURCE.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Revision', type: 'string', jsonPath: '.status.lastAppliedRevision' },
            { name: 'Ready', type: 'string', jsonPath: `${condition('Ready')}.status` },
            { name: 'Synced', type: 'string', jsonPath: `${condition('Synced')}.status` },
            { name: 'Healthy', type: 'string', jsonPath: `${condition('Healthy')}.status` },
            { name: 'Drifted', type: 'integer', jsonPath: '.status.inventory.drifted' },
            { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend', priority: 1 },
            // Who signed what is applied (kubectl get gitsources -o wide); since 0.2.0.
            { name: 'Signer', type: 'string', jsonPath: '.status.signer', priority: 1 },
            {
              name: 'Message',
              type: 'string',
              jsonPath: `${condition('Ready')}.message`,
              priority: 1,
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: toOpenApi(GitSourceSpecSchema),
                status: toOpenApi(GitSourceStatusSchema),
              },
            },
          },
        },
      ],
    },
  };
}
