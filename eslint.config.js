// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PRODUCT_RULES = [
  { group: ['**/webhook/**'], message: 'reconciler/ shares with webhook/ only through core/' },
  { group: ['**/test/**'], message: 'product code does not import the tests' },
];
/** What a lower layer never imports: the runtime, the composition root, the server. */
const ABOVE_CONFIG = [
  '**/runtime.js',
  '**/runtime/**',
  '**/main.js',
  '**/server/**',
  '**/source-reconciler.js',
  '**/source-factory.js',
];
/** Per layer, the reconciler's own rules plus what that layer may not import. */
const reconcilerLayers = (layers) =>
  layers.map(({ files, ignores, forbid, why }) => ({
    files,
    ...(ignores ? { ignores } : {}),
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...PRODUCT_RULES, { group: forbid, message: why }] },
      ],
    },
  }));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tap/', 'coverage/', '.stryker-tmp/', 'reports/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'off',
    },
  },
  // No re-export shims: a name is imported from the module that defines it; one X.509 stack.
  {
    files: [
      'core/**/*.ts',
      'policies/**/*.ts',
      'webhook/**/*.ts',
      'reconciler/**/*.ts',
      'cli/**/*.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ExportNamedDeclaration[source], ExportAllDeclaration',
          message: 'no re-exports: import the name from the module that defines it',
        },
        {
          selector: "ImportDeclaration[source.value='node-forge']",
          message: 'one X.509 stack in the product: pkijs (core/x509.ts); node-forge is test-only',
        },
      ],
    },
  },
  // The two binaries share only through core/ (and the policy engine); product code never
  // imports the tests. The demo (scripts/demo/) is not product code: it drives the test harness.
  {
    files: ['webhook/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/reconciler/**'],
              message: 'webhook/ shares with reconciler/ only through core/',
            },
            { group: ['**/test/**'], message: 'product code does not import the tests' },
          ],
        },
      ],
    },
  },
  {
    files: ['reconciler/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/webhook/**'],
              message: 'reconciler/ shares with webhook/ only through core/',
            },
            { group: ['**/test/**'], message: 'product code does not import the tests' },
          ],
        },
      ],
    },
  },
  // The reconciler's layers (ARCHITECTURE.md): the server is composed only by main.ts; config/
  // is a leaf; policy/ sits below the sync and the runtime; sync/ below the runtime; kube/ is
  // the adapter under all of them.
  ...reconcilerLayers([
    {
      files: ['reconciler/**/*.ts'],
      ignores: ['reconciler/main.ts', 'reconciler/server/**'],
      forbid: ['**/server/**'],
      why: 'only main.ts composes the status server',
    },
    {
      files: ['reconciler/config/**/*.ts'],
      forbid: [...ABOVE_CONFIG, '**/policy/**', '**/sync/**', '**/gitsource/**'],
      why: 'config/ is a leaf: it reads configuration and depends on no stage',
    },
    {
      files: ['reconciler/policy/**/*.ts'],
      forbid: [...ABOVE_CONFIG, '**/sync/**', '**/gitsource/**'],
      why: 'policy/ sits below the sync, the runtime and the GitSource controller',
    },
    {
      files: ['reconciler/sync/**/*.ts'],
      forbid: ABOVE_CONFIG,
      why: 'sync/ sits below the runtime and the composition root',
    },
    {
      files: ['reconciler/kube/**/*.ts'],
      // It implements the runtime's watch port (runtime/watches.ts), and nothing else above it.
      forbid: [
        ...ABOVE_CONFIG.filter((p) => p !== '**/runtime/**'),
        '**/runtime/runtime.js',
        '**/policy/**',
        '**/sync/**',
        '**/gitsource/**',
        '**/config/**',
      ],
      why: 'kube/ is the Kubernetes adapter: it knows no stage, policy or configuration',
    },
    {
      files: ['reconciler/model/**/*.ts'],
      forbid: [
        ...ABOVE_CONFIG,
        ...['kube', 'render', 'sync', 'config', 'policy', 'gitsource', 'source', 'verify'].map(
          (layer) => `**/${layer}/**`,
        ),
        '**/metrics.js',
        '**/source-objects.js',
      ],
      why: 'model/ is the bottom layer: plain data and pure rules over it, importing only core/',
    },
  ]),
  {
    files: ['cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['**/test/**'], message: 'product code does not import the tests' }],
        },
      ],
    },
  },
  {
    files: ['core/**/*.ts', 'policies/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/webhook/**', '**/reconciler/**'],
              message: 'core/ and the policy engine depend on neither binary',
            },
            { group: ['**/test/**'], message: 'product code does not import the tests' },
          ],
        },
      ],
    },
  },
);
