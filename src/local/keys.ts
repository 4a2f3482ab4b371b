/**
 * Per-tenant RSA-2048 signing keys (contract §2). Node's synchronous key generation is used on purpose:
 * `addApp()` is synchronous in the public API and a new tenant needs its key at once.
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose'

export interface PublicJwk {
  kty: 'RSA'
  n: string
  e: string
  kid: string
  alg: 'RS256'
  use: 'sig'
}

export interface SigningKey {
  kid: string
  privateKey: KeyObject
  publicKey: KeyObject
  jwk: PublicJwk
}

export const generateSigningKey = (): SigningKey => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const kid = randomUUID()
  const exported = publicKey.export({ format: 'jwk' })
  if (typeof exported.n !== 'string' || typeof exported.e !== 'string') throw new Error('RSA key export failed')
  return { kid, privateKey, publicKey, jwk: { kty: 'RSA', n: exported.n, e: exported.e, kid, alg: 'RS256', use: 'sig' } }
}

/**
 * The active key plus the one retired by the last rotation: the hosted JWKS serves exactly these two
 * during a rotation, so tokens signed just before a rotation keep verifying until they expire.
 */
export class TenantKeyRing {
  active: SigningKey = generateSigningKey()
  retired: SigningKey | undefined

  rotate (): void {
    this.retired = this.active
    this.active = generateSigningKey()
  }

  keys (): SigningKey[] {
    return this.retired ? [this.active, this.retired] : [this.active]
  }

  jwks (): { keys: PublicJwk[] } {
    return { keys: this.keys().map(k => k.jwk) }
  }
}

const encoder = new TextEncoder()

export const signRs256 = async (payload: Record<string, unknown>, key: SigningKey): Promise<string> =>
  await new CompactSign(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
    .sign(key.privateKey)

const base64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url')

/** An unsigned `alg: none` token: only ever minted for tests that prove it is rejected. */
export const signNone = (payload: Record<string, unknown>): string =>
  `${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify(payload))}.`

/**
 * Verify an RS256 signature against a key ring and return the raw payload bytes. Only RS256 is
 * accepted, which is what defeats `alg: none` and the HS256-signed-with-the-public-key trick.
 * Throws (without the token in the message) when no key verifies it.
 */
export const verifyRs256 = async (token: string, ring: TenantKeyRing): Promise<Uint8Array> => {
  const header = decodeProtectedHeader(token)
  if (header.alg !== 'RS256') throw new Error('unsupported alg')
  const candidates = typeof header.kid === 'string' ? ring.keys().filter(k => k.kid === header.kid) : ring.keys()
  for (const key of candidates) {
    try {
      const { payload } = await compactVerify(token, key.publicKey, { algorithms: ['RS256'] })
      return payload
    } catch {
      // try the next key of the ring
    }
  }
  throw new Error('signature not verified')
}
