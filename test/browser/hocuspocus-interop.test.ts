// Chromium, two pages, one document through the local dataplane: this page runs a WireSocketProvider
// (y-websocket framing), an iframe page runs the stock HocuspocusProvider as WireSocket's docs show
// (Hocuspocus framing). Each edits; both converge, and so does the server's copy.
import { expect } from 'chai'
import * as Y from 'yjs'
import { WireSocketProvider } from '../../src/index.ts'
import { synced } from '../support/provider-events.ts'
import { startDataplane, type TestDataplane } from './support/dataplane.ts'

interface PageReport { from: 'hocuspocus-page'; ready?: boolean; text?: string; synced?: boolean; denied?: string[] }

describe('a stock HocuspocusProvider page and a WireSocketProvider page on one document', () => {
  let dp: TestDataplane
  let frame: HTMLIFrameElement
  let provider: WireSocketProvider | undefined
  let last: PageReport = { from: 'hocuspocus-page' }
  const listeners = new Set<() => void>()
  const onMessage = (event: MessageEvent<PageReport>): void => {
    if (event.data?.from !== 'hocuspocus-page') return
    last = { ...last, ...event.data }
    for (const l of [...listeners]) l()
  }
  const page = async (check: (r: PageReport) => boolean, what: string): Promise<void> => {
    if (check(last)) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { listeners.delete(l); reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`)) }, 10_000)
      const l = (): void => {
        if (!check(last)) return
        clearTimeout(timer)
        listeners.delete(l)
        resolve()
      }
      listeners.add(l)
    })
  }

  before(async () => {
    dp = await startDataplane()
    window.addEventListener('message', onMessage)
    frame = document.createElement('iframe')
    frame.src = new URL('./pages/hocuspocus-page.html', import.meta.url).href
    document.body.append(frame)
    await page(r => r.ready === true, 'the Hocuspocus page to load')
  })

  after(async () => {
    provider?.destroy()
    frame.remove()
    window.removeEventListener('message', onMessage)
    await dp.stop()
  })

  it('edits from each page reach the other and the server', async () => {
    const token = await dp.mintToken()
    frame.contentWindow!.postMessage({ kind: 'connect', url: dp.regions[0]!.url, name: 'browser-mixed', token }, '*')
    await page(r => r.synced === true, 'the Hocuspocus page to sync')
    expect(last.denied ?? []).to.deep.equal([])

    const doc = new Y.Doc()
    provider = new WireSocketProvider(dp.regions[0]!.url, 'browser-mixed', doc, { disableBc: true, getToken: async () => await dp.mintToken() })
    await synced(provider)

    frame.contentWindow!.postMessage({ kind: 'insert', text: 'hocuspocus;' }, '*')
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`WireSocket page has ${doc.getText('text').toString()}`)), 10_000)
      const check = (): void => {
        if (doc.getText('text').toString() !== 'hocuspocus;') return
        clearTimeout(timer)
        doc.off('update', check)
        resolve()
      }
      doc.on('update', check)
      check()
    })
    doc.getText('text').insert(doc.getText('text').length, 'wiresocket;')
    await page(r => r.text === 'hocuspocus;wiresocket;', 'the Hocuspocus page to see the WireSocket edit')
    expect(await dp.documentText('browser-mixed', 'text')).to.equal('hocuspocus;wiresocket;')
  })
})
