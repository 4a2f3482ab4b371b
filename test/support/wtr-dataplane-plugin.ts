/**
 * A web-test-runner plugin that hosts local dataplanes in the test runner's Node process, so browser
 * tests run against a real server on loopback. Browser code drives it through
 * `executeServerCommand('wiresocket', { op, ... })` (wrapped by test/browser/support/dataplane.ts).
 */
import type { TestRunnerPlugin } from '@web/test-runner'
import { startLocalDataplane, type LocalDataplane, type LocalDataplaneOptions } from '../../src/local/index.ts'

export type DataplaneCommand =
  | { op: 'start'; options?: LocalDataplaneOptions }
  | { op: 'stop'; id: number }
  | { op: 'mintToken'; id: number; ttl?: number; claims?: Record<string, unknown>; signWith?: 'tenant' | 'foreign' | 'none' }
  | { op: 'dropConnections'; id: number }
  | { op: 'expireTokens'; id: number }
  | { op: 'moveDocument'; id: number; documentName: string; region: string }
  | { op: 'tripRateLimit'; id: number }
  | { op: 'handshakes'; id: number }
  | { op: 'documentText'; id: number; documentName: string; field: string }

/** Every command's answer, wrapped so that `null` results still count as handled. */
export interface DataplaneReply { value: unknown }

export interface DataplaneInfo {
  id: number
  regions: Array<{ name: string; url: string; httpUrl: string }>
  tokenUrl: string
  app: { clientId: string; clientSecret: string; tenantId: string; appId: string }
}

export function dataplanePlugin (): TestRunnerPlugin {
  const running = new Map<number, LocalDataplane>()
  let nextId = 1
  const get = (id: number): LocalDataplane => {
    const dp = running.get(id)
    if (!dp) throw new Error(`no local dataplane with id ${id}`)
    return dp
  }
  const run = async (cmd: DataplaneCommand): Promise<unknown> => {
    switch (cmd.op) {
      case 'start': {
        const dp = await startLocalDataplane(cmd.options)
        const id = nextId++
        running.set(id, dp)
        const info: DataplaneInfo = {
          id,
          regions: dp.regions.map(r => ({ name: r.name, url: r.url, httpUrl: r.httpUrl })),
          tokenUrl: dp.tokenUrl,
          app: { clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tenantId: dp.app.tenantId, appId: dp.app.appId },
        }
        return info
      }
      case 'stop': {
        const dp = running.get(cmd.id)
        running.delete(cmd.id)
        await dp?.close()
        return null
      }
      case 'mintToken':
        return { token: await get(cmd.id).mintToken({ ttl: cmd.ttl, claims: cmd.claims, signWith: cmd.signWith }) }
      case 'dropConnections':
        get(cmd.id).dropConnections()
        return null
      case 'expireTokens':
        get(cmd.id).expireTokens()
        return null
      case 'moveDocument':
        get(cmd.id).moveDocument(cmd.documentName, cmd.region)
        return null
      case 'tripRateLimit':
        get(cmd.id).tripRateLimit()
        return null
      case 'handshakes':
        return get(cmd.id).handshakes
      case 'documentText': {
        const doc = get(cmd.id).getDocument(cmd.documentName)
        return doc ? doc.getText(cmd.field).toString() : null
      }
    }
  }
  return {
    name: 'wiresocket-local-dataplane',
    async executeCommand ({ command, payload }) {
      if (command !== 'wiresocket') return undefined
      // web-test-runner treats a null/undefined result as "command not handled": always answer with
      // an envelope, which test/browser/support/dataplane.ts unwraps.
      const reply: DataplaneReply = { value: await run(payload as DataplaneCommand) ?? null }
      return reply
    },
    async serverStop () {
      await Promise.all([...running.values()].map(dp => dp.close()))
      running.clear()
    },
  }
}
