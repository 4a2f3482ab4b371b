/** The demo page: three documents, each open in two independent clients, sharing one token source. */
import { createTokenSource, type WireSocketProvider } from '../../src/index.ts'
import { createClientPanel, createDocSection, type User } from './panel.ts'
import { mountCodeMirror, mountTipTap } from './editors.ts'
import { mountLexical } from './lexical.tsx'

interface Config {
  regions: Array<{ name: string; url: string }>
  documents: Array<{ name: string; region: string }>
}

const USERS: [User, User] = [
  { name: 'Ada', color: '#4f46e5' },
  { name: 'Grace', color: '#e11d48' },
]

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

  // One token source for all six providers: one backend call per token lifetime.
  const tokenSource = createTokenSource(async ({ signal }) => {
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
  const docs = [
    { name: 'demo-codemirror', title: 'CodeMirror 6', subtitle: 'y-codemirror.next · yCollab' },
    { name: 'demo-tiptap', title: 'TipTap 3', subtitle: 'Collaboration + CollaborationCaret' },
    { name: 'demo-lexical', title: 'Lexical', subtitle: '@lexical/react CollaborationPlugin · providerFactory' },
  ]
  for (const d of docs) {
    const startRegion = config.documents.find(x => x.name === d.name)?.region ?? firstRegion.name
    const url = regionUrl(startRegion)
    const panels = USERS.map((u, i) => createClientPanel(u, `${d.name}-${i === 0 ? 'a' : 'b'}`))
    const [left, right] = panels
    if (left === undefined || right === undefined) continue
    const section = createDocSection(d.title, d.subtitle, d.name, left, right, () => {
      void post(`/api/control/redirect?document=${d.name}`).then(reply => {
        if (typeof reply === 'object' && reply !== null && 'to' in reply && typeof reply.to === 'string') {
          for (const p of panels) p.log('redirect', `document moved to ${reply.to}`)
        }
      })
    })
    section.setRegion(startRegion)
    app.append(section.root)
    const follow = (provider: WireSocketProvider): void => {
      provider.on('status', ({ status }) => { if (status === 'connected') section.setRegion(regionName(provider.url)) })
    }
    panels.forEach((panel, i) => {
      const user = USERS[i] ?? USERS[0]
      // Each client keeps its own copy, as two people's browsers would.
      const storeName = `y-wiresocket-demo:${d.name}:${i === 0 ? 'a' : 'b'}`
      if (d.name === 'demo-codemirror') {
        const provider = mountCodeMirror(panel.editorHost, url, d.name, storeName, tokenSource, user)
        panel.attach(provider); follow(provider)
      } else if (d.name === 'demo-tiptap') {
        const provider = mountTipTap(panel.editorHost, url, d.name, storeName, tokenSource, user)
        panel.attach(provider); follow(provider)
      } else {
        mountLexical(panel.editorHost, {
          serverUrl: url,
          documentName: d.name,
          storeName,
          tokenSource,
          user,
          shouldBootstrap: i === 0,
          onProvider: provider => { panel.attach(provider); follow(provider) },
        })
      }
    })
  }

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
