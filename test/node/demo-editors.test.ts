/**
 * The demo in a real Chromium: each editor's two clients converge through the local dataplane, show each
 * other's caret, and lose no keystroke across token expiry, a region redirect and dropped sockets.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page, type Locator } from 'playwright'
import { startDemo, type RunningDemo } from '../../demo/start.ts'

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const screenshotPath = fileURLToPath(new URL('../../docs/demo.png', import.meta.url))

let demo: RunningDemo
let browser: Browser
let page: Page
const pageErrors: string[] = []

const EDITORS = [
  { doc: 'demo-codemirror', input: '.cm-content', caret: '.cm-ySelectionCaret' },
  { doc: 'demo-tiptap', input: '.ProseMirror', caret: '.collaboration-carets__caret' },
  { doc: 'demo-lexical', input: '.lexical-input', caret: '[data-role="cursors"] span' },
] as const

const client = (doc: string, side: 'a' | 'b'): Locator => page.locator(`[data-testid="${doc}-${side}"]`)
/** The editor's text without the remote carets' name labels, which some bindings draw inside the editable. */
const textOf = async (doc: string, side: 'a' | 'b', input: string): Promise<string> =>
  await client(doc, side).locator(input).evaluate(el => {
    const copy = el.cloneNode(true)
    if (!(copy instanceof Element)) return ''
    copy.querySelectorAll('.cm-ySelectionCaret, .collaboration-carets__label').forEach(n => { n.remove() })
    return (copy.textContent ?? '').replace(/\u2060/g, '').replace(/\s+/g, ' ').trim()
  })

/** Both clients of `doc` show the same text, and it contains every piece typed so far. */
async function converged (doc: string, input: string, pieces: string[]): Promise<void> {
  await page.waitForFunction(({ doc, input, pieces }) => {
    // No named helper here: tsx's keepNames would reference a __name that the page does not have.
    const [a, b] = ['a', 'b'].map(side => {
      const copy = document.querySelector(`[data-testid="${doc}-${side}"] ${input}`)?.cloneNode(true)
      if (!(copy instanceof Element)) return ''
      copy.querySelectorAll('.cm-ySelectionCaret, .collaboration-carets__label').forEach(n => { n.remove() })
      return (copy.textContent ?? '').replace(/\u2060/g, '').replace(/\s+/g, ' ').trim()
    })
    return a !== undefined && a === b && pieces.every(p => a.includes(p))
  }, { doc, input, pieces }, { timeout: 15_000 }).catch(async (error: unknown) => {
    throw new Error(`${doc} did not converge on ${JSON.stringify(pieces)}: a=${JSON.stringify(await textOf(doc, 'a', input))} b=${JSON.stringify(await textOf(doc, 'b', input))}`, { cause: error })
  })
}

async function typeAtEnd (doc: string, side: 'a' | 'b', input: string, text: string): Promise<void> {
  const box = client(doc, side).locator(input)
  await box.click()
  await page.keyboard.press('Control+End')
  await page.keyboard.type(text, { delay: 15 })
}

const allConnected = async (): Promise<void> => {
  await page.waitForFunction(() => {
    const statuses = [...document.querySelectorAll('[data-role="status"]')].map(s => s.textContent)
    return statuses.length === 6 && statuses.every(s => s === 'connected')
  }, undefined, { timeout: 20_000 })
}

before(async () => {
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: install it (apt-get install chromium) or set CHROMIUM_PATH`)
  demo = await startDemo({ accessTokenTtl: 60 })
  browser = await chromium.launch({ executablePath })
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  page.on('pageerror', error => { pageErrors.push(error.message) })
  await page.goto(demo.url)
  await allConnected()
})

after(async () => {
  await browser?.close()
  await demo?.close()
})

test('Lexical: the bootstrapping client seeds the document on the provider\'s sync, and the other client receives it', async () => {
  // Only client A passes shouldBootstrap; B shows a paragraph before anyone typed only if A's seed,
  // written after its provider reported `sync`, travelled through the dataplane.
  await client('demo-lexical', 'b').locator('.lexical-input p').first().waitFor({ state: 'attached' })
  await client('demo-lexical', 'a').locator('.lexical-input p').first().waitFor({ state: 'attached' })
  assert.equal(await client('demo-lexical', 'b').locator('.lexical-input p').count(), 1)
})

for (const { doc, input, caret } of EDITORS) {
  test(`${doc}: typing in one client reaches the other, with the remote caret and name`, async () => {
    await typeAtEnd(doc, 'a', input, 'Hello from Ada. ')
    await converged(doc, input, ['Hello from Ada.'])
    await typeAtEnd(doc, 'b', input, 'Grace here. ')
    await converged(doc, input, ['Hello from Ada.', 'Grace here.'])
    // Awareness: each client lists the other by name, and the editor draws the remote caret.
    await client(doc, 'a').locator('[data-role="peers"]', { hasText: 'Grace' }).waitFor()
    await client(doc, 'b').locator('[data-role="peers"]', { hasText: 'Ada' }).waitFor()
    await client(doc, 'a').locator(caret).first().waitFor({ state: 'attached' })
    assert.equal(await textOf(doc, 'a', input), await textOf(doc, 'b', input))
  })
}

test('expire tokens, redirect and drop sockets: every keystroke survives in every editor', async () => {
  const typed = new Map<string, string[]>(EDITORS.map(e => [e.doc, ['Hello from Ada.', 'Grace here.']]))
  const round = async (label: string): Promise<void> => {
    for (const { doc, input } of EDITORS) {
      for (const side of ['a', 'b'] as const) {
        const piece = `${label}-${side}`
        await typeAtEnd(doc, side, input, `${piece} `)
        typed.get(doc)?.push(piece)
        // A types straight into the fault; B answers once A's words have reached it, as people take
        // turns. Typing at the same spot at the same moment interleaves characters (correctly, and
        // identically on both sides), which a whole-word check would misread as a loss.
        if (side === 'a') await converged(doc, input, typed.get(doc) ?? [])
      }
    }
  }

  await page.getByRole('button', { name: 'Expire tokens' }).click()
  await round('afterExpiry')
  for (const { doc, input } of EDITORS) await converged(doc, input, typed.get(doc) ?? [])
  await page.locator('[data-role="log"]', { hasText: 'token expired' }).first().waitFor()

  for (const { doc } of EDITORS) await page.locator(`[data-doc="${doc}"] [data-role="move"]`).click()
  await round('afterRedirect')
  for (const { doc, input } of EDITORS) await converged(doc, input, typed.get(doc) ?? [])
  await page.locator('[data-role="log"]', { hasText: 'redirected to' }).first().waitFor()
  await page.waitForFunction(() => [...document.querySelectorAll('[data-role="region"]')].every(r => r.textContent === 'us-east-1'), undefined, { timeout: 15_000 })

  await page.getByRole('button', { name: 'Drop sockets' }).click()
  await round('afterDrop')
  for (const { doc, input } of EDITORS) await converged(doc, input, typed.get(doc) ?? [])
  await allConnected()
  // Awareness comes back too: every client lists the other one again.
  for (const { doc } of EDITORS) {
    await client(doc, 'a').locator('[data-role="peers"]', { hasText: 'Grace' }).waitFor()
    await client(doc, 'b').locator('[data-role="peers"]', { hasText: 'Ada' }).waitFor()
  }

  assert.deepEqual(pageErrors, [])
  await page.mouse.click(1400, 880)
  // A test run leaves the checkout as it found it: the README's screenshot is rewritten only on request.
  await page.screenshot(process.env.UPDATE_SCREENSHOT === '1' ? { path: screenshotPath } : {})
})
