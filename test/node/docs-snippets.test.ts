// The editor snippets in docs/provider.md are complete programs, not fragments: each one, as written,
// type-checks against the editors' real packages (CodeMirror's `parent` must be an element the
// snippet names, not the `window.parent` a bare `parent` would bind to).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))

/** Inside the repository, so that the editors' packages resolve from its node_modules. */
mkdirSync(join(root, 'test-output'), { recursive: true })
const dir = mkdtempSync(join(root, 'test-output', 'doc-snippets-'))
after(() => { rmSync(dir, { recursive: true, force: true }) })

const editorSnippets = (): Array<{ name: string; code: string }> => {
  const page = readFileSync(join(root, 'docs/provider.md'), 'utf8')
  const start = page.indexOf('\n## Editor bindings\n')
  assert.ok(start >= 0, 'docs/provider.md has an Editor bindings section')
  const rest = page.slice(start + 1)
  const section = rest.slice(0, rest.slice(3).search(/\n## /) + 3)
  return [...section.matchAll(/```(tsx?)\n([\s\S]*?)```/g)].map((match, i) => {
    const code = match[2]!
    // A snippet that starts with `// name.ts` is imported by that name from the others.
    const named = /^\/\/ ([\w-]+\.tsx?)\n/.exec(code)?.[1]
    return { name: named ?? `snippet-${i}.${match[1]!}`, code }
  })
}

test('every editor snippet in docs/provider.md type-checks as written', async () => {
  const snippets = editorSnippets()
  assert.deepEqual(snippets.map(s => s.name), ['wiresocket.ts', 'snippet-1.ts', 'snippet-2.ts', 'snippet-3.tsx'])
  for (const { name, code } of snippets) writeFileSync(join(dir, name), code)
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      allowImportingTsExtensions: true,
      jsx: 'react-jsx',
      lib: ['ES2022', 'DOM', 'DOM.Iterable'],
      types: [],
      skipLibCheck: true,
      paths: { 'y-wiresocket': [join(root, 'src/index.ts')] },
    },
    files: snippets.map(s => s.name),
  }, null, 2))
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir, timeout: 120_000 })
    .catch((error: { stdout?: string }) => { assert.fail(error.stdout ?? String(error)) })
})
