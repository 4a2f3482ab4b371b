// The structural check of v1 updates (src/wire/update-check.ts), as a unit: every update real
// editing produces passes with its true shape; random and mutated bytes never throw out of it, and what
// it accepts never makes Yjs allocate for a count its bytes cannot hold.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { checkUpdateV1 } from '../../src/wire/update-check.ts'

/** A seeded generator, so a failure can be replayed. */
const random = (seed: number): (() => number) => () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}

const realUpdates = (): Uint8Array[] => {
  const doc = new Y.Doc()
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  const text = doc.getText('text')
  text.insert(0, 'héllo wörld 🎉')
  text.format(0, 5, { bold: true, link: { href: 'https://example.com' } })
  text.insertEmbed(3, { image: 'x.png' })
  text.delete(2, 4)
  const map = doc.getMap('map')
  map.set('n', 1)
  map.set('nested', { a: [1, 2, { b: null, c: true, d: 1.5, e: 2n ** 40n }], u: new Uint8Array([1, 2, 3]) })
  map.set('bin', new Uint8Array([9, 9]))
  map.set('sub', new Y.Doc({ guid: 'child' }))
  map.delete('n')
  const array = doc.getArray('array')
  array.insert(0, [1, 'two', { three: 3 }, null])
  array.push([new Y.Text('inner')])
  const xml = doc.getXmlFragment('xml')
  const element = new Y.XmlElement('p')
  element.setAttribute('class', 'c')
  element.insert(0, [new Y.XmlText('para')])
  xml.insert(0, [element, new Y.XmlText('tail')])
  map.set('hook', new Y.XmlHook('hook'))
  updates.push(Y.encodeStateAsUpdate(doc))
  // A second client interleaving, and a document that garbage-collected deletions.
  const other = new Y.Doc()
  Y.applyUpdate(other, Y.encodeStateAsUpdate(doc))
  other.on('update', (u: Uint8Array) => updates.push(u))
  other.getText('text').insert(1, 'XYZ')
  other.getText('text').delete(0, 8)
  updates.push(Y.encodeStateAsUpdate(other))
  return updates
}

test('every update real editing produces passes, with the struct and delete counts Yjs decodes', () => {
  for (const update of realUpdates()) {
    const shape = checkUpdateV1(update)
    assert.ok(shape.ok, shape.ok ? '' : shape.reason)
    const decoded = Y.decodeUpdate(update)
    assert.equal(shape.structs, decoded.structs.length)
    let ranges = 0
    for (const items of decoded.ds.clients.values()) ranges += items.length
    assert.equal(shape.deletes, ranges)
  }
})

test('an empty update (a step 2 with nothing new) has no structs and no deletes', () => {
  assert.deepEqual(checkUpdateV1(Y.encodeStateAsUpdate(new Y.Doc())), { ok: true, structs: 0, deletes: 0 })
})

test('20,000 random and mutated byte strings: the check never throws, and never passes a count the bytes cannot hold', () => {
  const next = random(42)
  const seeds = realUpdates()
  for (let i = 0; i < 20_000; i++) {
    let bytes: Uint8Array
    if (i % 2 === 0) {
      bytes = new Uint8Array(1 + Math.floor(next() * 40)).map(() => Math.floor(next() * 256))
    } else {
      bytes = seeds[i % seeds.length]!.slice()
      for (let m = 0; m < 1 + Math.floor(next() * 3); m++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256)
    }
    const shape = checkUpdateV1(bytes)
    if (shape.ok) assert.ok(shape.structs <= bytes.length && shape.deletes <= bytes.length, `counts within ${bytes.length} bytes`)
  }
})

test('any content nested past maxContentDepth is refused without recursion', () => {
  const doc = new Y.Doc()
  let value: unknown = 'leaf'
  for (let i = 0; i < 300; i++) value = [value]
  doc.getMap('m').set('deep', value)
  const update = Y.encodeStateAsUpdate(doc)
  assert.deepEqual(checkUpdateV1(update), { ok: false, reason: 'content nested deeper than 256' })
  assert.equal(checkUpdateV1(update, { maxContentDepth: 400 }).ok, true)
})
