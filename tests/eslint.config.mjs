// ESLint over the extension's code and the end-to-end tests. Run from the
// repository root, as `cargo xtask test` does:
//   tests/node_modules/.bin/eslint --config tests/eslint.config.mjs extension tests/e2e tests/unit tests/bench
// (with --config, the patterns below are taken from the working directory).
import js from '@eslint/js';
import globals from 'globals';

const ours = ['extension/**/*.js', 'tests/e2e/**/*.mjs', 'tests/unit/**/*.mjs', 'tests/bench/**/*.mjs'];

// tests/tsconfig.json type-checks only the files that ask for it (see there
// why not all of them): each of the extension's files must.
const tsCheck = {
  meta: { type: 'problem', schema: [], messages: { missing: 'The first line must be `// @ts-check` (tests/tsconfig.json).' } },
  create(context) {
    return {
      Program(node) {
        const first = context.sourceCode.getAllComments()[0];
        if (first?.type !== 'Line' || first.range[0] !== 0 || first.value.trim() !== '@ts-check') {
          context.report({ node, loc: { line: 1, column: 0 }, messageId: 'missing' });
        }
      },
    };
  },
};

export default [
  // Written by wasm-bindgen at build time (and not committed).
  { ignores: ['extension/wasm/**'] },
  { ...js.configs.recommended, files: ours },
  {
    files: ours,
    languageOptions: { sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-unused-vars': ['error', { caughtErrors: 'all' }],
    },
  },
  {
    files: ['extension/**/*.js'],
    languageOptions: { globals: { ...globals.browser, ...globals.webextensions } },
    plugins: { orgseal: { rules: { 'ts-check': tsCheck } } },
    rules: { 'orgseal/ts-check': 'error' },
  },
  // Content scripts are classic scripts, not modules (manifest.json).
  { files: ['extension/content/**/*.js'], languageOptions: { sourceType: 'script' } },
  {
    files: ['tests/e2e/**/*.mjs', 'tests/bench/**/*.mjs'],
    // Node's globals, and the browser's for the functions that page.evaluate
    // and worker.evaluate run in a page or in the extension's service worker.
    languageOptions: { globals: { ...globals.node, ...globals.browser, chrome: 'readonly' } },
  },
  { files: ['tests/unit/**/*.mjs'], languageOptions: { globals: globals.node } },
];
