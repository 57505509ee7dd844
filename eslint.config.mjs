// ESLint for the whole tree (`npm run lint`, part of `npm test`): the recommended JavaScript and
// typescript-eslint rules, plus a reason on every eslint-disable comment.
import js from '@eslint/js';
import comments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Build output and reports (what .gitignore lists, and the README's `--report-dir results`).
  { ignores: ['**/dist/', 'native/build/', 'native/build-sanitize/', 'test-results/', 'bench-results/', 'results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  comments.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@eslint-community/eslint-comments/require-description': 'error',
      // `_name` marks what a signature or a destructuring must hold but the code does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Report and log sanitisers match control characters on purpose.
      'no-control-regex': 'off',
      // A variable a callback reads before its one assignment (a timer set after the callback) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Plain CommonJS entry points and scripts.
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
