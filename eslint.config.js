// Lint rules: typescript-eslint's recommended type-aware set (without types for the console's browser scripts), no
// floating promises anywhere, and workflow code kept deterministic (no Node built-ins or app modules with side effects
// inside workflows/, nor in the test-only workflows and the tests' bundle entry, which run in the same sandbox).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'coverage/**',
      'dist/**',
      'scripts/compose-check/**',
      'jest.config.js',
      'test/setup/*.cjs',
      '.dependency-cruiser.cjs',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['*.config.js'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Async functions that happen not to await are common in interfaces (probes, handlers); not a bug.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts', 'test/**/*.workflow.ts', 'test/helpers/test-workflows.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'Workflows must be deterministic: no Node built-ins (use activities).' },
            {
              regex: '^(fs|path|crypto|http|https|net|os|child_process|timers)$',
              message: 'Workflows must be deterministic: no Node built-ins.',
            },
            {
              regex: '^(kafkajs|pino|@mikro-orm/.*|@temporalio/(client|worker|activity))$',
              message: 'Workflows import @temporalio/workflow and types only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The operator console's page scripts run in the browser, as they are: plain ES modules outside the TypeScript
    // project, so linted without type information.
    files: ['src/api/ops/**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Response bodies are untyped JSON that the assertions themselves check.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
