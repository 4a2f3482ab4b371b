/**
 * Rotating refresh tokens. Every token belongs to a family (one client-credentials login); using a token
 * retires it and issues its successor. Presenting a retired token again means it leaked: the whole
 * family is revoked, the legitimate successor included (RFC 6819 §5.2.2.3 / OAuth 2.0 Security BCP).
 */
import { randomBytes } from 'node:crypto'

interface Family {
  revoked: boolean
  /** Absolute end of the family: after refreshTokenTtl the client must use its secret again (contract §1). */
  expiresAt: number
}

interface RefreshRecord {
  clientId: string
  scope: string
  family: Family
  used: boolean
}

export type RedeemResult =
  | { ok: true; scope: string; successor: string }
  | { ok: false; description: string }

export class RefreshTokenStore {
  private readonly tokens = new Map<string, RefreshRecord>()

  constructor (private readonly ttlSeconds: number, private readonly now: () => number) {}

  issue (clientId: string, scope: string): string {
    return this.add(clientId, scope, { revoked: false, expiresAt: this.now() + this.ttlSeconds * 1000 })
  }

  private add (clientId: string, scope: string, family: Family): string {
    const token = randomBytes(32).toString('base64url')
    this.tokens.set(token, { clientId, scope, family, used: false })
    return token
  }

  redeem (token: string, clientId: string): RedeemResult {
    const record = this.tokens.get(token)
    if (!record) return { ok: false, description: 'Unknown refresh token' }
    if (record.clientId !== clientId) return { ok: false, description: 'Refresh token was not issued to this client' }
    if (record.family.revoked) return { ok: false, description: 'Refresh token has been revoked' }
    if (record.used) {
      record.family.revoked = true
      return { ok: false, description: 'Refresh token already used; its token family has been revoked' }
    }
    if (this.now() >= record.family.expiresAt) return { ok: false, description: 'Refresh token expired' }
    record.used = true
    return { ok: true, scope: record.scope, successor: this.add(clientId, record.scope, record.family) }
  }

  clear (): void {
    this.tokens.clear()
  }
}
