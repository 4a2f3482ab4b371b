// Lint and format in one tool: neostandard is `standard` (the Yjs ecosystem's style) for ESLint 9 flat
// config, with typescript-eslint for .ts files and @stylistic for layout, so `eslint --fix` formats too.
import neostandard, { plugins } from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'],
  }),
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@typescript-eslint': plugins['typescript-eslint'].plugin },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    rules: {
      // `void promise` marks a deliberately floating promise; standard's blanket ban hides that intent.
      'no-void': ['error', { allowAsStatement: true }],
    },
  },
]
