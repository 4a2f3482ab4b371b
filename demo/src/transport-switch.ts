/** Per client: the switch between a socket per document and one shared Hocuspocus socket, and the socket count. */
import type { User } from './panel.ts'

export interface TransportSwitch {
  root: HTMLElement
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`

/**
 * `onChange(shared)` remounts the client's editors on the chosen transport; `count()` reads how many
 * sockets they hold now (what a plan's `maxConnections` counts).
 */
export function createTransportSwitch (user: User, side: 'a' | 'b', documents: number, count: () => number, onChange: (shared: boolean) => void): TransportSwitch {
  const root = document.createElement('div')
  root.className = 'transport'
  root.dataset.testid = `transport-${side}`
  const dot = document.createElement('span')
  dot.className = 'dot'
  dot.style.background = user.color
  const who = document.createElement('span')
  who.className = 'who'
  who.append(dot, user.name)
  const label = document.createElement('label')
  label.className = 'switch'
  const box = document.createElement('input')
  box.type = 'checkbox'
  box.setAttribute('aria-label', `${user.name}: one shared socket (Hocuspocus framing)`)
  label.append(box, 'one shared socket (Hocuspocus framing)')
  const sockets = document.createElement('span')
  sockets.className = 'sockets'
  sockets.dataset.role = 'sockets'
  sockets.title = 'Open WebSockets of this client: what a plan\'s maxConnections counts'
  const render = (): void => { sockets.textContent = `${plural(documents, 'document')} · ${plural(count(), 'socket')}` }
  box.addEventListener('change', () => {
    onChange(box.checked)
    render()
  })
  setInterval(render, 250)
  render()
  root.append(who, label, sockets)
  return { root }
}
