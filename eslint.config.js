import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

/** Engine code runs in the CLI, the web host and workers too: no Electron, no app/ module. */
const ENGINE_BOUNDARY = [
  { group: ['electron', 'electron/*'], message: 'The engine runs without Electron (CLI, web host, workers); only src-main/app may import it.' },
  { group: ['**/app/*', '**/app'], message: 'The engine must not import src-main/app (Electron main process).' },
];

/** data, metrics, onnx, ttm, sim, store, forecast, jobs, cluster, report and util sit below the API. */
const LOWER_LAYER_BOUNDARY = [
  {
    group: ['**/api/*', '**/api/**', '**/api'],
    message: 'Lower layers never import api/: move the shape next to the code that owns it and let api/contract.ts re-export it.',
  },
];

/**
 * The renderer may import from src-main only these shared modules (zod and plain code, no
 * Node): the API contract, the metrics it charts, the evaluation report shape, the TTMConfig
 * schema the Train page's form is generated from, glucose units, byte counts.
 */
const RENDERER_SHARED = ['api/contract', 'metrics/[^/]+', 'forecast/evaluation-report', 'ttm/ttm-config', 'units', 'util/bytes'];
const RENDERER_BOUNDARY = [
  {
    regex: `(^|/)src-main/(?!engine/(${RENDERER_SHARED.join('|')})(\\.js)?$)`,
    message: 'The renderer imports from src-main only the declared shared modules (RENDERER_SHARED in eslint.config.js); others may need Node.',
  },
];

export default ts.config(
  { ignores: ['build/', 'dist/', 'release/', 'node_modules/', 'test/e2e/screenshots/', 'coverage/', '.tmp/', '.bench/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.svelte', 'src-renderer/**/*.svelte.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
  },
  // Layer boundaries (docs/adr and README's layout): the engine runs without Electron, lower
  // layers never reach up to the API, and the renderer sees the engine only through the
  // modules declared shared (plain code with no Node imports).
  {
    files: ['src-main/engine/**/*.ts'],
    ignores: ['src-main/engine/{data,metrics,onnx,ttm,sim,store,forecast,jobs,report,util}/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ENGINE_BOUNDARY }],
    },
  },
  {
    files: ['src-main/engine/{data,metrics,onnx,ttm,sim,store,forecast,jobs,cluster,report,util}/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...ENGINE_BOUNDARY, ...LOWER_LAYER_BOUNDARY] }],
    },
  },
  // SQL lives in engine/store: everything else asks a repository.
  {
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/engine/store/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "ImportDeclaration[source.value='better-sqlite3']", message: 'Only engine/store opens SQLite; add a repository method there.' },
        {
          selector: "CallExpression > MemberExpression.callee[object.property.name='db'][property.name=/^(prepare|exec|pragma|transaction)$/]",
          message: 'SQL lives in engine/store: add a repository method there (store.transaction wraps several calls).',
        },
      ],
    },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.svelte', 'src-renderer/**/*.svelte.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: RENDERER_BOUNDARY }],
    },
  },
  {
    // CLI/bench/scripts print to the console by design
    files: ['scripts/**', 'bench/**', 'bin/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
);
