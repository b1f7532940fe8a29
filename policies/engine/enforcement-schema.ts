import { Type } from '@sinclair/typebox';

const action = { enum: ['enforce', 'warn', 'dryrun'] };
const strings = { type: 'array', items: { type: 'string' } };

/**
 * `enforcementOverrides` (both binaries and the chart, the same shape). Validated by
 * parseEnforcement, which also reads the files a tenant commits; this is its published form.
 */
export const EnforcementOverridesSchema = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  description: '<policy id>: enforce|warn|dryrun, or { action, scope, parameters }',
  parsedBy: 'parseEnforcement',
  'x-kubernetes-preserve-unknown-fields': true,
  additionalProperties: {
    oneOf: [
      action,
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          action,
          scope: {
            type: 'object',
            additionalProperties: false,
            properties: {
              namespaces: strings,
              excludedNamespaces: strings,
              kinds: strings,
              objectSelector: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
                },
              },
            },
          },
          parameters: { type: 'object' },
        },
      },
    ],
  },
});
