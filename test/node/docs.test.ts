// The README and docs/ render as intended on the forge and on npm: every table is a table (a pasted
// table that lost its delimiter row renders as one paragraph), every relative link and #anchor
// resolves, and the README (which is also the npm page) uses only absolute links that point back
// into this repository's files.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const REPO_BLOB = 'https://github.com/wiresocket/y-wiresocket/blob/main/'
const REPO_RAW = 'https://raw.githubusercontent.com/wiresocket/y-wiresocket/main/'
const REPO_HOME = 'https://github.com/wiresocket/y-wiresocket'

const pages = ['README.md', 'CHANGELOG.md', ...readdirSync(join(root, 'docs')).filter(f => f.endsWith('.md')).map(f => `docs/${f}`)]

interface Line { text: string; number: number }

/** The lines outside fenced code blocks, with their 1-based numbers. */
const proseLines = (markdown: string): Line[] => {
  const result: Line[] = []
  let fence: string | null = null
  markdown.split('\n').forEach((text, i) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1]
    if (marker !== undefined) {
      if (fence === null) fence = marker[0]!
      else if (marker[0] === fence) fence = null
      return
    }
    if (fence === null) result.push({ text, number: i + 1 })
  })
  return result
}

/** Cells of a table row as GFM splits them: on every `|` not escaped with a backslash (code spans too). */
const cells = (row: string): string[] => {
  let body = row.trim()
  if (body.startsWith('|')) body = body.slice(1)
  if (body.endsWith('|') && !body.endsWith('\\|')) body = body.slice(0, -1)
  return body.split(/(?<!\\)\|/)
}

const DELIMITER_CELL = /^\s*:?-+:?\s*$/

/** GitHub's heading anchors: lower-case, drop punctuation but keep letters, digits, `-`, `_`; spaces become `-`. */
const slugOf = (heading: string): string => heading
  .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
  .replace(/[`*]/g, '')
  .trim()
  .toLowerCase()
  .replace(/[^\p{L}\p{N}\s_-]/gu, '')
  .replace(/\s/g, '-')

const anchorsCache = new Map<string, Set<string>>()
const anchorsOf = (file: string): Set<string> => {
  const cached = anchorsCache.get(file)
  if (cached !== undefined) return cached
  const seen = new Map<string, number>()
  const anchors = new Set<string>()
  for (const { text } of proseLines(readFileSync(file, 'utf8'))) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1]
    if (heading === undefined) continue
    const slug = slugOf(heading)
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
  }
  anchorsCache.set(file, anchors)
  return anchors
}

/** Inline links and images outside code: `[text](target)` and `![alt](target)`. */
const linksOf = (markdown: string): Array<{ target: string; line: number }> => {
  const links: Array<{ target: string; line: number }> = []
  for (const { text, number } of proseLines(markdown)) {
    const withoutCode = text.replace(/`[^`]*`/g, '')
    for (const match of withoutCode.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ target: match[1]!, line: number })
    }
  }
  return links
}

/** Resolve a link to a file of this repository (and an anchor in it), or `null` for external links. */
const localTarget = (page: string, target: string): { file: string; anchor?: string } | null => {
  let path: string
  if (target.startsWith(REPO_BLOB)) path = target.slice(REPO_BLOB.length)
  else if (target.startsWith(REPO_RAW)) path = target.slice(REPO_RAW.length)
  else if (target.startsWith(`${REPO_HOME}#`)) path = `README.md${target.slice(REPO_HOME.length)}`
  else if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return null
  else path = relative(root, resolve(root, dirname(page), target.startsWith('#') ? `${page.split('/').pop() ?? ''}${target}` : target))
  const [file = '', anchor] = path.split('#')
  return { file: join(root, decodeURIComponent(file)), anchor }
}

for (const page of pages) {
  const markdown = readFileSync(join(root, page), 'utf8')

  test(`${page}: every table has a header row and a matching delimiter row`, () => {
    const lines = proseLines(markdown)
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!
      if (!line.text.trimStart().startsWith('|')) continue
      const previous = lines[i - 1]
      if (previous !== undefined && previous.number === line.number - 1 && previous.text.trimStart().startsWith('|')) continue
      // The first row of a block of `|` lines: it must open a table, not a paragraph.
      assert.ok(previous === undefined || previous.text.trim() === '' || previous.number !== line.number - 1,
        `${page}:${line.number}: a table needs a blank line before it`)
      const delimiter = lines[i + 1]
      assert.ok(delimiter !== undefined && delimiter.number === line.number + 1, `${page}:${line.number}: table has no delimiter row`)
      const header = cells(line.text)
      const delimiterCells = cells(delimiter.text)
      assert.ok(delimiterCells.every(c => DELIMITER_CELL.test(c)),
        `${page}:${delimiter.number}: the row after a table header must be a delimiter row (|---|---|), found ${JSON.stringify(delimiter.text)}`)
      assert.equal(delimiterCells.length, header.length, `${page}:${delimiter.number}: delimiter row has ${delimiterCells.length} cells, header ${header.length}`)
      for (let j = i + 2; j < lines.length && lines[j]!.number === lines[j - 1]!.number + 1 && lines[j]!.text.trimStart().startsWith('|'); j++) {
        assert.equal(cells(lines[j]!.text).length, header.length, `${page}:${lines[j]!.number}: row has ${cells(lines[j]!.text).length} cells, header ${header.length}`)
      }
    }
  })

  test(`${page}: every link into this repository resolves, anchors included`, () => {
    for (const { target, line } of linksOf(markdown)) {
      const local = localTarget(page, target)
      if (local === null) continue
      assert.ok(existsSync(local.file), `${page}:${line}: ${target} points to a missing file`)
      if (local.anchor !== undefined && local.anchor !== '' && local.file.endsWith('.md')) {
        assert.ok(anchorsOf(local.file).has(local.anchor), `${page}:${line}: ${target}: no heading with anchor #${local.anchor}`)
      }
    }
  })
}

test('README.md (the npm page) links only with absolute URLs, so they work on npm too', () => {
  const relativeLinks = linksOf(readFileSync(join(root, 'README.md'), 'utf8'))
    .filter(({ target }) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
  assert.deepEqual(relativeLinks, [])
})

test('the checker itself: slugs, cells and a collapsed table', () => {
  assert.equal(slugOf('The backend: `y-wiresocket/server`'), 'the-backend-y-wiresocketserver')
  assert.equal(slugOf('6. The second framing: Hocuspocus'), '6-the-second-framing-hocuspocus')
  assert.equal(slugOf('Regions, redirects and discovery'), 'regions-redirects-and-discovery')
  assert.deepEqual(cells('| `a \\| b` | c |'), [' `a \\| b` ', ' c '])
  const collapsed = proseLines('| a | b |\n| 1 | 2 |\n')
  assert.ok(!cells(collapsed[1]!.text).every(c => DELIMITER_CELL.test(c)), 'a data row is not mistaken for a delimiter row')
})
