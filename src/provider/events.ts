import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import type { WireSocketClaims } from '../contract/claims.ts'
import type { CloseEventLike } from './options.ts'
import type { ClosedKind, LimitKind } from './policy.ts'
import type { TokenError } from './token.ts'
import type { WireSocketProvider } from './provider.ts'

/**
 * The connection state machine. Every transition goes through `enter`, which refuses the ones not
 * listed here, so an impossible combination (a socket while idle, a timer while open) cannot arise.
 *
 * - `idle`: no connection wanted (`connect: false`, or after `disconnect()`).
 * - `token`: obtaining a token (and, with `discovery`, the document's region).
 * - `connecting`: WebSocket handshake under way.
 * - `open`: connected; `synced` tells whether the first sync round finished.
 * - `waiting`: between attempts, a retry timer armed (or a redirect being judged).
 * - `closed`: the server said retrying cannot help (4003, 4007, a refused redirect…); `connect()` resumes.
 * - `destroyed`: final.
 */
export type ConnectionState = 'idle' | 'token' | 'connecting' | 'open' | 'waiting' | 'closed' | 'destroyed'

export const transitions: Record<ConnectionState, readonly ConnectionState[]> = {
  idle: ['token', 'waiting'],
  token: ['connecting', 'waiting', 'idle'],
  connecting: ['open', 'waiting', 'idle'],
  open: ['waiting', 'idle'],
  waiting: ['token', 'waiting', 'closed', 'idle'],
  closed: ['token', 'waiting', 'idle'],
  destroyed: [],
}

/**
 * y-protocols' `Awareness`, typed so that bindings with a stricter state type accept it without a cast:
 * Lexical's `Provider` wants `getLocalState()` to return its own `UserState`, which an untyped
 * awareness state cannot promise. The extra signatures are never the ones a call resolves to (the
 * intersection's first member wins), so code reading `provider.awareness` sees the plain Awareness.
 */
export type ProviderAwareness = Awareness & {
  getLocalState(): null
  getStates(): Map<number, never>
}

export interface WireSocketProviderEvents {
  status: (event: { status: 'connecting' | 'connected' | 'disconnected' }) => void
  sync: (synced: boolean) => void
  synced: (synced: boolean) => void
  /** A socket ended: the server's close event, or null when we ended it (unreadable frame, silence, handshake timeout). */
  'connection-close': (event: CloseEventLike | null, provider: WireSocketProvider) => void
  'connection-error': (event: Event, provider: WireSocketProvider) => void
  /** The provider stopped retrying: a close code that retrying cannot fix. `connect()` starts again. */
  closed: (event: { code: number; reason: string; kind: ClosedKind }, provider: WireSocketProvider) => void
  /** A new token is in use. Never carries the token itself. */
  token: (event: { expiresAt: number; claims: WireSocketClaims }) => void
  /** A token could not be obtained; `retryIn` (ms) when the provider will try again, null for a background refresh. */
  'token-error': (event: { error: TokenError; retryIn: number | null }) => void
  limit: (event: { code: number; limit: LimitKind; value: number | null; retryIn: number }) => void
  redirect: (event: { from: string; to: string }) => void
  /** The socket was replaced before its token expired (make-before-break); listeners saw no disconnect. */
  handover: (event: { expiresAt: number }) => void
  /** The server sent a frame that could not be read; the connection is re-established. */
  'message-error': (event: { error: unknown }) => void
  /** The server answered with a y-protocols auth message (permission denied). */
  'permission-denied': (event: { reason: string }) => void
  /** Declared so the provider satisfies `@lexical/yjs`'s `Provider` type; this provider never emits them. */
  update: (arg: unknown) => void
  reload: (doc: Y.Doc) => void
}
