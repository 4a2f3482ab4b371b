/** The demo page: three documents, each open in two independent clients, sharing one token source. */
import { createTokenSource, type TokenSource, type WireSocketProvider } from '../../src/index.ts'
import { createClientPanel, createDocSection, type ClientPanel, type User } from './panel.ts'
import { mountCodeMirror, mountTipTap, type EditorSetup } from './editors.ts'
import { mountLexical } from './lexical.tsx'
import { sharedHocuspocusSocket, socketPerDocument, type Transport } from './transport.ts'
import { createTransportSwitch } from './transport-switch.ts'

interface Config {
  regions: Array<{ name: string; url: string }>
  documents: Array<{ name: string; region: string }>
}

const USERS: [User, User] = [
  { name: 'Ada', color: '#4f46e5' },
  { name: 'Grace', color: '#e11d48' },
]
const SIDES = ['a', 'b'] as const

const DOCS = [
  { name: 'demo-codemirror', title: 'CodeMirror 6', subtitle: 'y-codemirror.next · yCollab' },
  { name: 'demo-tiptap', title: 'TipTap 3', subtitle: 'Collaboration + CollaborationCaret' },
  { name: 'demo-lexical', title: 'Lexical', subtitle: '@lexical/react CollaborationPlugin · providerFactory' },
] as const

/** One client's panel in one document's card. */
interface PanelSlot {
  name: string
  panel: ClientPanel
  /** Keep the card's region label and the page's idea of the document's region up to date. */
  follow: (provider: WireSocketProvider) => void
}

const post = async (path: string): Promise<unknown> => {
  const res = await fetch(path, { method: 'POST' })
  return await res.json()
}

const isConfig = (value: unknown): value is Config =>
  typeof value === 'object' && value !== null && 'regions' in value && Array.isArray(value.regions) && 'documents' in value && Array.isArray(value.documents)

async function main (): Promise<void> {
  const res = await fetch('/api/config')
  const config: unknown = await res.json()
  if (!isConfig(config)) throw new Error('bad /api/config')
  const firstRegion = config.regions[0]
  if (firstRegion === undefined) throw new Error('no region')
  const regionUrl = (name: string): string => config.regions.find(r => r.name === name)?.url ?? firstRegion.url
  const regionName = (url: string): string => config.regions.find(r => new URL(r.url).host === new URL(url).host)?.name ?? new URL(url).host
  /** Where each document lives now: new providers connect there directly instead of being redirected. */
  const regionOf = new Map<string, string>(DOCS.map(d => [d.name, config.documents.find(x => x.name === d.name)?.region ?? firstRegion.name]))

  // One token source for every provider and shared socket of the page: one backend call per token lifetime.
  const tokenSource: TokenSource = createTokenSource(async ({ signal }) => {
    const r = await fetch('/api/token', { method: 'POST', signal, credentials: 'same-origin' })
    if (!r.ok) throw new Error(`token backend answered ${r.status}`)
    const body: unknown = await r.json()
    if (typeof body !== 'object' || body === null || !('token' in body) || typeof body.token !== 'string') throw new Error('bad token reply')
    return body.token
  })

  const app = document.getElementById('app')
  if (app === null) return
  app.querySelector('[data-role="loading"]')?.remove()
  app.removeAttribute('aria-busy')

  // The page: one card per document, one panel per client in each.
  const panelsOf: [PanelSlot[], PanelSlot[]] = [[], []]
  for (const d of DOCS) {
    const panels = USERS.map((u, i) => createClientPanel(u, `${d.name}-${SIDES[i] ?? 'a'}`))
    const [left, right] = panels
    if (left === undefined || right === undefined) continue
    const section = createDocSection(d.title, d.subtitle, d.name, left, right, () => {
      void post(`/api/control/redirect?document=${d.name}`).then(reply => {
        if (typeof reply === 'object' && reply !== null && 'to' in reply && typeof reply.to === 'string') {
          for (const p of panels) p.log('redirect', `document moved to ${reply.to}`)
        }
      })
    })
    section.setRegion(regionOf.get(d.name) ?? firstRegion.name)
    app.append(section.root)
    const follow = (provider: WireSocketProvider): void => {
      provider.on('status', ({ status }) => {
        if (status !== 'connected') return
        regionOf.set(d.name, regionName(provider.url))
        section.setRegion(regionName(provider.url))
      })
    }
    panelsOf[0].push({ name: d.name, panel: left, follow })
    panelsOf[1].push({ name: d.name, panel: right, follow })
  }

  /** Mount one client's three editors on `transport`; returns their teardown. */
  const mountClient = (i: 0 | 1, transport: Transport): () => void => {
    const user = USERS[i]
    const side = SIDES[i]
    const teardown: Array<() => void> = []
    for (const { name, panel, follow } of panelsOf[i]) {
      const setup: EditorSetup = {
        transport,
        regionUrl: regionUrl(regionOf.get(name) ?? firstRegion.name),
        documentName: name,
        // Each client keeps its own copy, as two people's browsers would; a remount loads it again.
        storeName: `y-wiresocket-demo:${name}:${side}`,
        user,
      }
      const attach = (provider: WireSocketProvider): void => {
        teardown.push(panel.attach(provider))
        follow(provider)
      }
      if (name === 'demo-codemirror' || name === 'demo-tiptap') {
        const mounted = (name === 'demo-codemirror' ? mountCodeMirror : mountTipTap)(panel.editorHost, setup)
        attach(mounted.provider)
        teardown.push(() => { mounted.destroy() })
      } else {
        const mounted = mountLexical(panel.editorHost, setup, i === 0, attach)
        teardown.push(() => { mounted.destroy() })
      }
    }
    return () => {
      // Providers first, while the editors still hold their awareness: peers see this client leave at once.
      transport.destroy()
      for (const down of teardown) down()
      for (const { panel } of panelsOf[i]) panel.editorHost.replaceChildren()
    }
  }

  /** The region most of the documents live in: a shared socket opens there, the others are redirected. */
  const busiestRegion = (): string => {
    const counts = new Map<string, number>()
    for (const region of regionOf.values()) counts.set(region, (counts.get(region) ?? 0) + 1)
    return [...counts].sort((x, y) => y[1] - x[1])[0]?.[0] ?? firstRegion.name
  }

  const switches = document.createElement('section')
  switches.className = 'transports'
  switches.setAttribute('aria-label', 'How each client connects')
  for (const i of [0, 1] as const) {
    let transport: Transport = socketPerDocument(tokenSource)
    let unmount = mountClient(i, transport)
    const sw = createTransportSwitch(USERS[i], SIDES[i], DOCS.length, () => transport.sockets(), shared => {
      unmount()
      for (const { panel } of panelsOf[i]) panel.log('framing', shared ? 'switched to one shared socket (Hocuspocus framing)' : 'switched to a socket per document (y-websocket framing)')
      transport = shared ? sharedHocuspocusSocket(regionUrl(busiestRegion()), tokenSource) : socketPerDocument(tokenSource)
      unmount = mountClient(i, transport)
    })
    switches.append(sw.root)
  }
  app.before(switches)

  const wire = (id: string, path: string, label: string): void => {
    document.getElementById(id)?.addEventListener('click', () => {
      void post(path).then(() => { document.title = `y-wiresocket · ${label}` })
    })
  }
  wire('expire-tokens', '/api/control/expire-tokens', 'tokens expired')
  wire('drop-sockets', '/api/control/drop-sockets', 'sockets dropped')
  wire('trip-rate-limit', '/api/control/trip-rate-limit', 'rate limit tripped')
}

void main()
