/** Browser-side handle on a local dataplane hosted by the test runner (test/support/wtr-dataplane-plugin.ts). */
import { executeServerCommand } from '@web/test-runner-commands'
import type { DataplaneCommand, DataplaneInfo, DataplaneReply } from '../../support/wtr-dataplane-plugin.ts'
import type { LocalDataplaneOptions, HandshakeRecord } from '../../../src/local/index.ts'

type Op<K extends DataplaneCommand['op']> = Omit<Extract<DataplaneCommand, { op: K }>, 'op' | 'id'>

const send = async <T>(cmd: DataplaneCommand): Promise<T> =>
  (await executeServerCommand('wiresocket', cmd) as DataplaneReply).value as T

export interface TestDataplane extends DataplaneInfo {
  mintToken(opts?: Op<'mintToken'>): Promise<string>
  dropConnections(): Promise<void>
  expireTokens(): Promise<void>
  moveDocument(documentName: string, region: string): Promise<void>
  tripRateLimit(): Promise<void>
  handshakes(): Promise<HandshakeRecord[]>
  documentText(documentName: string, field: string): Promise<string | null>
  stop(): Promise<void>
}

export async function startDataplane (options?: LocalDataplaneOptions): Promise<TestDataplane> {
  const info = await send<DataplaneInfo>({ op: 'start', options })
  const id = info.id
  return {
    ...info,
    mintToken: async (opts = {}) => (await send<{ token: string }>({ op: 'mintToken', id, ...opts })).token,
    dropConnections: async () => { await send({ op: 'dropConnections', id }) },
    expireTokens: async () => { await send({ op: 'expireTokens', id }) },
    moveDocument: async (documentName, region) => { await send({ op: 'moveDocument', id, documentName, region }) },
    tripRateLimit: async () => { await send({ op: 'tripRateLimit', id }) },
    handshakes: async () => await send<HandshakeRecord[]>({ op: 'handshakes', id }),
    documentText: async (documentName, field) => await send<string | null>({ op: 'documentText', id, documentName, field }),
    stop: async () => { await send({ op: 'stop', id }) },
  }
}
