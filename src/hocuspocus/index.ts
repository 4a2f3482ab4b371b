/**
 * y-wiresocket/hocuspocus: the Hocuspocus framing (contract §6) for `WireSocketProvider`, on a socket of
 * its own (`hocuspocusFraming`) or shared by several documents (`createSharedConnection`). A separate
 * entry, so that apps that do not use it do not ship it.
 */
export { hocuspocusFraming } from './framing.ts'
export { createSharedConnection } from './shared-connection.ts'
export type { SharedConnection, SharedConnectionOptions } from './shared-connection.ts'
export type { Framing, Link, LinkListener, DialRequest } from '../provider/link.ts'
export { HocuspocusCode } from './reasons.ts'
