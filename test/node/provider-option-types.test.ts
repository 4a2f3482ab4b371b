/**
 * The options that only code can get wrong, checked at construction in the development build (the
 * default, and what Node, tests and dev servers resolve): a wrong one throws a TypeError naming the
 * option and starts nothing. The production build leaves these checks out (docs/provider.md), so this
 * file is not part of `npm run test:production`; the checks both builds make (the server URL, the
 * document name) are in reliability-bad-input.test.ts, which is.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { WireSocketProvider, createTokenSource, type WireSocketProviderOptions } from '../../src/index.ts'
import { createSharedConnection, hocuspocusFraming } from '../../src/hocuspocus/index.ts'
import { TOKEN_PATTERN } from './support/reliability-guards.ts'

const url = 'ws://127.0.0.1:9'
const getToken = async (): Promise<string> => 'unused'
const optionCases: Array<[string, RegExp, () => unknown]> = [
  ['no doc', /option "doc"/, () => new WireSocketProvider(url, 'doc', {} as Y.Doc, { getToken })],
  ['no options', /option "options"/, () => new WireSocketProvider(url, 'doc', new Y.Doc(), undefined as unknown as WireSocketProviderOptions)],
  ['no token callback', /option "getToken"/, () => new WireSocketProvider(url, 'doc', new Y.Doc(), {})],
  ['a getToken that is a string', /option "getToken"/, () => new WireSocketProvider(url, 'doc', new Y.Doc(), { getToken: 'token' as unknown as typeof getToken })],
  ['a bad transport', /option "tokenTransport"/, () => new WireSocketProvider(url, 'doc', new Y.Doc(), { getToken, tokenTransport: 'header' as 'query' })],
  ['a negative refreshMargin', /option "refreshMargin"/, () => new WireSocketProvider(url, 'doc', new Y.Doc(), { getToken, refreshMargin: -1 })],
  ['a string maxBackoffTime', /option "maxBackoffTime"/, () => new WireSocketProvider(url, 'doc', new Y.Doc(), { getToken, maxBackoffTime: '5' as unknown as number })],
  ['protocols as a string', /option "protocols"/, () => new WireSocketProvider(url, 'doc', new Y.Doc(), { getToken, protocols: 'y' as unknown as string[] })],
  ['a non-boolean connect', /option "connect"/, () => new WireSocketProvider(url, 'doc', new Y.Doc(), { getToken, connect: 'yes' as unknown as boolean })],
  ['params with a number', /option "params"/, () => new WireSocketProvider(url, 'doc', new Y.Doc(), { getToken, params: { a: 1 as unknown as string } })],
  ['handover "sometimes"', /option "handover"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken, handover: 'sometimes' as 'auto', WebSocketPolyfill: WebSocket, connect: false })],
  ['tokenTransport "in-band" without the Hocuspocus framing', /option "tokenTransport"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken, WebSocketPolyfill: WebSocket, tokenTransport: 'in-band' })],
  ['framing not from y-wiresocket/hocuspocus', /option "framing"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken, WebSocketPolyfill: WebSocket, framing: {} as typeof hocuspocusFraming })],
  ['a shared connection\'s tokenTransport "header"', /option "tokenTransport"/, () => createSharedConnection(url, { getToken, WebSocketPolyfill: WebSocket, tokenTransport: 'header' as 'query' })],
  ['a shared connection\'s tokenProtocol with a space', /option "tokenProtocol"/, () => createSharedConnection(url, { getToken, WebSocketPolyfill: WebSocket, tokenProtocol: 'two words' })],
  ['a shared connection\'s handshakeTimeout 0', /option "handshakeTimeout"/, () => createSharedConnection(url, { getToken, WebSocketPolyfill: WebSocket, handshakeTimeout: 0 })],
  ['getToken a string', /option "getToken"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken: 'token' as unknown as typeof getToken, WebSocketPolyfill: WebSocket })],
  ['neither getToken nor tokenSource', /option "getToken"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { WebSocketPolyfill: WebSocket })],
  ['both getToken and tokenSource', /option "getToken"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken, tokenSource: createTokenSource(getToken), WebSocketPolyfill: WebSocket })],
  ['options null', /option "options"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), null as never)],
  ['doc a plain object', /option "doc"/, () => new WireSocketProvider(url, 'd', {} as Y.Doc, { getToken, WebSocketPolyfill: WebSocket })],
  ['tokenSource a plain object', /option "tokenSource"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { tokenSource: {} as never, WebSocketPolyfill: WebSocket })],
  ['tokenTimeout a string', /option "tokenTimeout"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken, tokenTimeout: '10s' as unknown as number, WebSocketPolyfill: WebSocket })],
  ['refreshMargin NaN', /option "refreshMargin"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken, refreshMargin: Number.NaN, WebSocketPolyfill: WebSocket })],
  ['limitRetryDelay negative', /option "limitRetryDelay"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken, limitRetryDelay: -1, WebSocketPolyfill: WebSocket })],
  ['tokenTransport "header"', /option "tokenTransport"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken, tokenTransport: 'header' as 'query', WebSocketPolyfill: WebSocket })],
  ['tokenProtocol with a comma', /option "tokenProtocol"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken, tokenProtocol: 'a,b', WebSocketPolyfill: WebSocket })],
  ['protocols with a number', /option "protocols"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken, protocols: [1] as unknown as string[], WebSocketPolyfill: WebSocket })],
  ['params with a number', /option "params"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken, params: { a: 1 } as unknown as Record<string, string>, WebSocketPolyfill: WebSocket })],
  ['connect "yes"', /option "connect"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken, connect: 'yes' as unknown as boolean, WebSocketPolyfill: WebSocket })],
  ['WebSocketPolyfill an object', /option "WebSocketPolyfill"/, () => new WireSocketProvider(url, 'd', new Y.Doc(), { getToken, WebSocketPolyfill: {} as never })],
]

for (const [what, message, construct] of optionCases) {
  test(`constructor with ${what}: a TypeError naming the option, nothing started`, () => {
    assert.throws(construct, (error: unknown) => error instanceof TypeError && message.test(error.message) && !TOKEN_PATTERN.test(error.message))
  })
}
