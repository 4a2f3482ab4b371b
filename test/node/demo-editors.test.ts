/**
 * The demo in a real Chromium: it paints within a second, each editor's two clients converge through
 * the local dataplane, show each other's caret, lose no keystroke across token expiry, a region
 * redirect and dropped sockets, come back from IndexedDB after the dataplane forgot the documents,
 * show a countdown while rate-limited, and `kill <npm pid>` leaves no demo process behind.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page, type Locator } from 'playwright'
import { startDemo, DOCUMENTS, type RunningDemo } from '../../demo/start.ts'
import { isRunning } from '../support/process-running.ts'

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const screenshotPath = fileURLToPath(new URL('../../docs/demo.png', import.meta.url))

const root = fileURLToPath(new URL('../..', import.meta.url))
/** Short, so that the persistence test sees the dataplane forget the documents quickly (WireSocket: 10 s). */
const GRACE_MS = 1000

let demo: RunningDemo
let browser: Browser
let context: BrowserContext
let page: Page
let firstPaintMs: number
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
  demo = await startDemo({ accessTokenTtl: 60, gracePeriod: GRACE_MS })
  browser = await chromium.launch({ executablePath })
  // One context for the whole file: its IndexedDB outlives a page, as a browser profile does.
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  page = await openPage()
  firstPaintMs = await page.evaluate(async () => await new Promise<number>(resolve => {
    const seen = performance.getEntriesByName('first-contentful-paint')[0]
    if (seen !== undefined) { resolve(seen.startTime); return }
    new PerformanceObserver(list => {
      const entry = list.getEntriesByName('first-contentful-paint')[0]
      if (entry !== undefined) resolve(entry.startTime)
    }).observe({ type: 'paint', buffered: true })
  }))
  await allConnected()
})

async function openPage (): Promise<Page> {
  const opened = await context.newPage()
  opened.on('pageerror', error => { pageErrors.push(error.message) })
  await opened.goto(demo.url)
  return opened
}

after(async () => {
  await context?.close()
  await browser?.close()
  await demo?.close()
})

test('first paint comes within a second of navigation on loopback (a production build, and a loading note until the editors mount)', async t => {
  const loadEnd = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.loadEventEnd ?? -1)
  t.diagnostic(`first-contentful-paint ${firstPaintMs.toFixed(0)} ms, load event end ${loadEnd.toFixed(0)} ms`)
  assert.ok(firstPaintMs < 1000, `first contentful paint after ${firstPaintMs.toFixed(0)} ms`)
  const appScript = await (await fetch(new URL('/demo/app.js', demo.url))).text()
  // Minified production build: React's development warnings are not in it.
  assert.doesNotMatch(appScript, /Warning: |react\.development|checkPropTypes/)
  t.diagnostic(`app.js ${appScript.length} bytes`)
  assert.ok(appScript.length < 3_000_000, `app.js is ${appScript.length} bytes`)
  assert.equal(await page.locator('[data-role="loading"]').count(), 0, 'the loading note is gone once the editors are mounted')
  await page.getByText('WireSocket stores nothing').waitFor()
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
  // The log reads oldest first, and each reconnect says why: the first token was received (not
  // "refreshed"), then the 4002 close with its reason, then the reconnect naming that cause.
  const lines = await client('demo-codemirror', 'a').locator('[data-role="log"] li').allTextContents()
  const at = (text: string): number => lines.findIndex(line => line.includes(text))
  assert.ok(at('token received') >= 0 && at('token received') < at('socket closed: token expired or invalid (4002'), lines.join('\n'))
  assert.ok(at('socket closed: token expired or invalid (4002') < at('reconnecting after token expired or invalid'), lines.join('\n'))
  assert.equal(lines.filter(line => line.includes('token received')).length, 1)
  // Presence survives the expiry: each client still shows its peer's chip (it used to vanish for 11-30 s).
  for (const { doc } of EDITORS) {
    await client(doc, 'a').locator('[data-role="peers"]', { hasText: 'Grace' }).waitFor({ timeout: 2000 })
    await client(doc, 'b').locator('[data-role="peers"]', { hasText: 'Ada' }).waitFor({ timeout: 2000 })
  }

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
  await page.evaluate(() => { window.scrollTo(0, 0) })
  // A test run leaves the checkout as it found it: the README's screenshot is rewritten only on request.
  await page.screenshot(process.env.UPDATE_SCREENSHOT === '1' ? { path: screenshotPath } : {})
})

test('persistence: after the dataplane forgot every document, reopening the page seeds them back from IndexedDB', async () => {
  const before = new Map<string, string>()
  for (const { doc, input } of EDITORS) before.set(doc, await textOf(doc, 'a', input))
  await page.close()
  // WireSocket drops a document once its grace period ends after the last client left.
  const deadline = Date.now() + 10_000
  while (DOCUMENTS.some(name => demo.serverHas(name))) {
    assert.ok(Date.now() < deadline, 'the dataplane forgets the documents after the grace period')
    await delay(100)
  }
  page = await openPage()
  await allConnected()
  for (const { doc, input } of EDITORS) {
    const pieces = (before.get(doc) ?? '').split(' ').filter(word => /^after(Expiry|Redirect|Drop)-[ab]$/.test(word))
    assert.ok(pieces.length >= 6, `${doc} had the typed pieces before: ${before.get(doc) ?? ''}`)
    await converged(doc, input, pieces)
  }
  for (const name of DOCUMENTS) assert.ok(demo.serverHas(name), `${name} is back on the dataplane`)
})

/** Wait until `check()` holds: for state the server keeps, which no page event announces. */
async function eventually (check: () => boolean, what: () => string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!check()) {
    assert.ok(Date.now() < deadline, what())
    await delay(50)
  }
}

const socketCount = (side: 'a' | 'b', text: string): Locator =>
  page.locator(`[data-testid="transport-${side}"] [data-role="sockets"]`, { hasText: text })

/** The log lines of a client since the newest one containing `mark`. */
const logSince = async (doc: string, side: 'a' | 'b', mark: string): Promise<string[]> => {
  const lines = await client(doc, side).locator('[data-role="log"] li').allTextContents()
  let from = lines.length - 1
  while (from >= 0 && lines[from]?.includes(mark) !== true) from--
  assert.ok(from >= 0, `no "${mark}" in ${doc}-${side}'s log:\n${lines.join('\n')}`)
  return lines.slice(from)
}

test('one shared Hocuspocus socket: Ada\'s three editors on one socket edit with Grace\'s y-websocket sockets, through a token expiry, and back', async () => {
  const shared = page.getByRole('checkbox', { name: 'Ada: one shared socket (Hocuspocus framing)' })
  const typed = new Map<string, string[]>()
  for (const { doc, input } of EDITORS) {
    typed.set(doc, (await textOf(doc, 'a', input)).split(' ').filter(word => /^after(Expiry|Redirect|Drop)-[ab]$/.test(word)))
  }
  await socketCount('a', '3 documents · 3 sockets').waitFor()
  await eventually(() => demo.connections() === 6, () => `the dataplane counts ${demo.connections()} sockets, not 6`)
  const sharedSocketsBefore = demo.rootSocketsAccepted()

  await shared.check()
  await allConnected()
  // What a plan's maxConnections counts: Ada's three documents now hold one socket, Grace's still three.
  await socketCount('a', '3 documents · 1 socket').waitFor()
  await socketCount('b', '3 documents · 3 sockets').waitFor()
  await eventually(() => demo.connections() === 4, () => `the dataplane counts ${demo.connections()} sockets, not 1 + 3`)
  assert.equal(demo.rootSocketsAccepted(), sharedSocketsBefore + 1, 'one Hocuspocus socket was opened for the three documents')
  for (const { doc, input } of EDITORS) {
    assert.ok((await logSince(doc, 'a', 'switched to one shared socket (Hocuspocus framing)')).some(line => line.includes('synced')))
    // The remounted editor loaded its copy from IndexedDB: nothing typed before is missing.
    await converged(doc, input, typed.get(doc) ?? [])
  }

  // Mixed framings on one document: Ada (Hocuspocus, shared socket) and Grace (y-websocket) edit together.
  for (const { doc, input, caret } of EDITORS) {
    // Ada types last: her editor keeps the focus, so Grace's editor draws Ada's caret, sent over the shared socket.
    for (const side of ['b', 'a'] as const) {
      await typeAtEnd(doc, side, input, `shared-${side} `)
      typed.get(doc)?.push(`shared-${side}`)
      await converged(doc, input, typed.get(doc) ?? [])
    }
    await client(doc, 'a').locator('[data-role="peers"]', { hasText: 'Grace' }).waitFor()
    await client(doc, 'b').locator('[data-role="peers"]', { hasText: 'Ada' }).waitFor()
    await client(doc, 'b').locator(caret).first().waitFor({ state: 'attached' })
  }

  const sharedSocketsBeforeExpiry = demo.rootSocketsAccepted()
  await page.getByRole('button', { name: 'Expire tokens' }).click()
  for (const { doc, input } of EDITORS) {
    for (const side of ['a', 'b'] as const) {
      await typeAtEnd(doc, side, input, `sharedExpiry-${side} `)
      typed.get(doc)?.push(`sharedExpiry-${side}`)
      if (side === 'a') await converged(doc, input, typed.get(doc) ?? [])
    }
  }
  for (const { doc, input } of EDITORS) await converged(doc, input, typed.get(doc) ?? [])
  await allConnected()
  for (const { doc } of EDITORS) {
    // A revoked token cannot be refreshed: the dataplane ends each of Ada's documents in-band (4002), and
    // each rejoins with a fresh token over the same socket, which stays open for the others meanwhile.
    await page.waitForFunction(({ selector }) => {
      const lines = [...document.querySelectorAll(selector)].map(li => li.textContent ?? '')
      let from = lines.length - 1
      while (from >= 0 && !(lines[from] ?? '').includes('(4002 Token expired)')) from--
      return from >= 0 && lines.slice(from).some(line => line.includes('synced'))
    }, { selector: `[data-testid="${doc}-a"] [data-role="log"] li` }, { timeout: 15_000 })
    const since = await logSince(doc, 'a', '(4002 Token expired)')
    assert.match(since[0] ?? '', /document ended by the server \(in-band CLOSE\)/, since.join('\n'))
    assert.ok(since.some(line => line.includes('rejoined on the same socket')), since.join('\n'))
    assert.ok(!since.some(line => line.includes('socket closed')), since.join('\n'))
    await client(doc, 'a').locator('[data-role="peers"]', { hasText: 'Grace' }).waitFor()
    await client(doc, 'b').locator('[data-role="peers"]', { hasText: 'Ada' }).waitFor()
  }
  await socketCount('a', '3 documents · 1 socket').waitFor()
  await eventually(() => demo.connections() === 4, () => `after the expiry the dataplane counts ${demo.connections()} sockets, not 1 + 3`)
  assert.equal(demo.rootSocketsAccepted(), sharedSocketsBeforeExpiry, 'the shared socket outlived the revocation')

  // Back to a socket per document: the shared socket closes, every edit is still there.
  await shared.uncheck()
  await allConnected()
  await socketCount('a', '3 documents · 3 sockets').waitFor()
  await eventually(() => demo.connections() === 6, () => `after switching back the dataplane counts ${demo.connections()} sockets, not 6`)
  for (const { doc, input } of EDITORS) {
    assert.ok((await logSince(doc, 'a', 'switched to a socket per document (y-websocket framing)')).some(line => line.includes('synced')))
    await typeAtEnd(doc, 'a', input, 'unshared-a ')
    typed.get(doc)?.push('unshared-a')
    await converged(doc, input, typed.get(doc) ?? [])
    await client(doc, 'b').locator('[data-role="peers"]', { hasText: 'Ada' }).waitFor()
  }
  assert.deepEqual(pageErrors, [])
})

test('"Trip rate limit": the client that was closed with 4006 counts down to its reconnect', async () => {
  await page.getByRole('button', { name: 'Trip rate limit' }).click()
  await page.waitForFunction(() => document.title.includes('rate limit tripped'))
  await typeAtEnd('demo-codemirror', 'a', '.cm-content', 'over the limit ')
  const countdown = client('demo-codemirror', 'a').locator('[data-role="retry"]')
  await countdown.waitFor({ state: 'visible', timeout: 10_000 })
  const seconds = async (): Promise<number> => Number(/reconnecting in (\d+) s/.exec(await countdown.textContent() ?? '')?.[1])
  const first = await seconds()
  assert.ok(first >= 25 && first <= 46, `countdown starts near the 30-45 s WireSocket asks for: ${first}`)
  await page.waitForFunction(({ selector, start }) => {
    const text = document.querySelector(selector)?.textContent ?? ''
    const match = /reconnecting in (\d+) s/.exec(text)
    return match !== null && Number(match[1]) < start
  }, { selector: '[data-testid="demo-codemirror-a"] [data-role="retry"]', start: first }, { timeout: 5000 })
  await client('demo-codemirror', 'a').locator('[data-role="log"]', { hasText: 'plan limit: ops-per-minute (4006)' }).waitFor()
  assert.deepEqual(pageErrors, [])
})

test('kill <npm pid> during `npm start` leaves no demo process behind', async () => {
  const npm = spawn('npm', ['start'], { cwd: root, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  npm.stdout.setEncoding('utf8')
  const demoPid = await new Promise<number>((resolve, reject) => {
    npm.stdout.on('data', (chunk: string) => {
      out += chunk
      const match = /y-wiresocket demo: \S+ {2}\(pid (\d+)\)/.exec(out)
      if (match !== null) resolve(Number(match[1]))
    })
    npm.once('exit', code => reject(new Error(`npm start exited early (${code ?? 'signal'}): ${out}`)))
  })
  try {
    assert.notEqual(demoPid, npm.pid, 'the demo runs in its own process under npm')
    npm.kill('SIGTERM')
    // The demo is not our child, so no exit event reaches us: watch its pid, bounded.
    const deadline = Date.now() + 10_000
    while (isRunning(demoPid)) {
      assert.ok(Date.now() < deadline, `demo process ${demoPid} still running 10 s after npm was killed`)
      await delay(100)
    }
  } finally {
    if (isRunning(demoPid)) process.kill(demoPid, 'SIGKILL')
  }
})

test('in-band token refresh: with 25 s tokens, Ada\'s shared Hocuspocus socket outlives its token\'s expiry with no close and no reconnect', async t => {
  // A demo of its own: the main one's 60 s tokens would make this test wait a minute. 20 s or more: the
  // token backend renews a quarter of a lifetime ahead, the page a fifth, and the JWT's `exp` is whole
  // seconds; from 20 s that gap covers the rounding, so the page's refresh always brings a newer token
  // when the server asks, and the test does not lean on the last-second retry that shorter tokens need.
  const TTL_S = 25
  const shortDemo = await startDemo({ accessTokenTtl: TTL_S, gracePeriod: GRACE_MS })
  const ownContext = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  const mainPage = page
  try {
    page = await ownContext.newPage()
    page.on('pageerror', error => { pageErrors.push(error.message) })
    await page.goto(shortDemo.url)
    await allConnected()
    // Every token the page holds was minted before this moment: the ones the documents authenticate with expire within TTL_S.
    const switchedAt = Date.now()
    await page.getByRole('checkbox', { name: 'Ada: one shared socket (Hocuspocus framing)' }).check()
    await allConnected()
    await socketCount('a', '3 documents · 1 socket').waitFor()
    assert.equal(shortDemo.rootSocketsAccepted(), 1)
    // The dataplane ends a document at its token's expiry (4002) unless a fresh token came in-band first.
    // Nothing announces that nothing happened: wait past that expiry, for a refresh in each of Ada's documents.
    for (const { doc } of EDITORS) {
      await page.waitForFunction(({ selector, expired }) => {
        const lines = [...document.querySelectorAll(selector)].map(li => li.textContent ?? '')
        let from = lines.length - 1
        while (from >= 0 && !(lines[from] ?? '').includes('switched to one shared socket')) from--
        return Date.now() > expired && from >= 0 && lines.slice(from).some(line => line.includes('token refreshed'))
      }, { selector: `[data-testid="${doc}-a"] [data-role="log"] li`, expired: switchedAt + TTL_S * 1000 + 1_500 }, { timeout: 45_000 })
    }
    for (const { doc, input } of EDITORS) {
      const since = await logSince(doc, 'a', 'switched to one shared socket (Hocuspocus framing)')
      assert.deepEqual(since.filter(line => /closed|ended|reconnect|rejoin|stopped/.test(line)), [], `${doc}: no disconnect on the shared socket\n${since.join('\n')}`)
      t.diagnostic(`${doc} (Ada, shared socket): ${since.map(line => line.slice(8)).join(' · ')}`)
      await typeAtEnd(doc, 'a', input, 'refreshed-a ')
      await converged(doc, input, ['refreshed-a'])
    }
    assert.equal(shortDemo.rootSocketsAccepted(), 1, 'the shared socket was never replaced')
    await socketCount('a', '3 documents · 1 socket').waitFor()
    assert.deepEqual(pageErrors, [])
  } finally {
    page = mainPage
    await ownContext.close()
    await shortDemo.close()
  }
})
