// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
