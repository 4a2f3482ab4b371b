/** src/contract: the ground floor every part stands on is browser-safe and depends on nothing. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { fitReason, MAX_CLOSE_REASON_BYTES } from '../../src/contract/close-codes.ts'

const dir = new URL('../../src/contract/', import.meta.url)

test('src/contract imports nothing but itself: no package, no Node built-in', () => {
  for (const file of readdirSync(dir).filter(f => f.endsWith('.ts'))) {
    const source = readFileSync(new URL(file, dir), 'utf8')
    for (const [, specifier] of source.matchAll(/\bfrom\s+'([^']+)'/g)) {
      assert.ok(specifier!.startsWith('./'), `${file} imports ${specifier}`)
    }
    assert.doesNotMatch(source, /\bBuffer\b|\bprocess\./, `${file} uses a Node global`)
  }
})

test('fitReason cuts by UTF-8 bytes, never inside a character, and leaves short reasons alone', () => {
  const cases = ['Invalid token', 'x'.repeat(200), 'é'.repeat(100), '😀'.repeat(40), `REDIRECT:wss://${'a'.repeat(120)}.net/doc`, 'a😀'.repeat(30), '\ud800'.repeat(50), '']
  for (const reason of cases) {
    const fitted = fitReason(reason)
    assert.ok(Buffer.byteLength(fitted) <= MAX_CLOSE_REASON_BYTES, `${Buffer.byteLength(fitted)} bytes`)
    assert.ok(reason.startsWith(fitted))
    if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) assert.equal(fitted, reason)
    else {
      // as long as possible: one more character would not fit
      const more = [...reason].slice(0, [...fitted].length + 1).join('')
      assert.ok(Buffer.byteLength(more) > MAX_CLOSE_REASON_BYTES)
    }
  }
})
