/**
 * Plan limits from the token's `limits` claim (contract §3, ours for what each counts). Pure functions
 * over the shared state, so admission is decided synchronously in one place, with no await between
 * counting and joining.
 */
import { CloseCode, CloseReason } from '../contract/close-codes.ts'
import type { WireSocketLimits } from '../contract/claims.ts'
import type { DocumentEntry, DocumentStore } from './documents.ts'
import type { CloseRequest, DocumentSession } from './document-session.ts'
import type { SlidingWindow } from './rate-limit.ts'

/** What admission counts: the live sessions (and the sockets they run on) and the open documents. */
export interface AdmissionState {
  readonly sessions: ReadonlySet<DocumentSession>
  readonly documents: Pick<DocumentStore, 'activeCount'>
}

/** Open sockets of an app: a socket carrying several documents (Hocuspocus) counts once. */
export const connectionsOf = (ctx: Pick<AdmissionState, 'sessions'>, appKey: string): number => {
  const sockets = new Set<object>()
  for (const session of ctx.sessions) if (session.meta.appKey === appKey) sockets.add(session.meta.connection)
  return sockets.size
}

/** Whether this socket already carries a session of the app (then it is already counted). */
const isCounted = (ctx: Pick<AdmissionState, 'sessions'>, appKey: string, connection: object | undefined): boolean => {
  if (connection === undefined) return false
  for (const session of ctx.sessions) if (session.meta.connection === connection && session.meta.appKey === appKey) return true
  return false
}

/** 4004 → 4005 → 4008, checked against the state as it is at the moment of joining. */
export const admissionVerdict = (
  ctx: AdmissionState,
  appKey: string,
  limits: WireSocketLimits | undefined,
  entry: DocumentEntry | undefined,
  connection?: object
): CloseRequest | undefined => {
  if (!limits) return undefined
  if (limits.maxConnections !== undefined && !isCounted(ctx, appKey, connection) && connectionsOf(ctx, appKey) >= limits.maxConnections) {
    return { code: CloseCode.ConnectionLimit, reason: CloseReason.connectionLimit(limits.maxConnections) }
  }
  if (limits.maxDocuments !== undefined && entry === undefined) {
    const active = ctx.documents.activeCount(appKey)
    if (active >= limits.maxDocuments) {
      return { code: CloseCode.DocumentLimit, reason: CloseReason.documentLimit(limits.maxDocuments, active) }
    }
  }
  if (limits.maxUsersPerDoc !== undefined && entry !== undefined && entry.peers.size >= limits.maxUsersPerDoc) {
    return { code: CloseCode.UsersPerDoc, reason: CloseReason.usersPerDoc(limits.maxUsersPerDoc) }
  }
  return undefined
}

/** One client update against the app's sliding window; the socket that overflows it is closed 4006. */
export const opsVerdict = (ctx: { readonly opsWindow: SlidingWindow }, session: DocumentSession): CloseRequest | undefined => {
  const limit = session.meta.opsPerMinute
  if (limit === undefined) {
    ctx.opsWindow.add(session.meta.appKey)
    return undefined
  }
  const result = ctx.opsWindow.hit(session.meta.appKey, limit)
  return result.ok ? undefined : { code: CloseCode.RateLimit, reason: CloseReason.rateLimit(limit) }
}
