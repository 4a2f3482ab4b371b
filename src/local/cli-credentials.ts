/**
 * The CLI's pinned credentials: from --client-id/--client-secret or WIRESOCKET_CLIENT_ID/SECRET, so
 * an app's `.env` stays valid across restarts of the local dataplane. The tenant and app ids derive
 * from the client id, so the JWKS URL and the documents' keys stay the same too.
 */
import { createHash } from 'node:crypto'
import type { LocalApp } from './types.ts'

export interface Credentials {
  clientId: string
  clientSecret: string
  source: 'flags' | 'env' | 'mixed'
}

/** Printable ASCII without spaces: what survives a form-encoded body, a shell and a `.env` line alike. */
const PLAIN = /^[\x21-\x7e]{1,200}$/

const present = (value: string | undefined): string | undefined => value === undefined || value === '' ? undefined : value

/** Flags win over the environment. Both or neither: half a pair would silently be random again. */
export const resolveCredentials = (
  idFlag: string | undefined,
  secretFlag: string | undefined,
  env: Readonly<Record<string, string | undefined>>
): Credentials | null => {
  const clientId = present(idFlag) ?? present(env.WIRESOCKET_CLIENT_ID)
  const clientSecret = present(secretFlag) ?? present(env.WIRESOCKET_CLIENT_SECRET)
  if (clientId === undefined && clientSecret === undefined) return null
  if (clientId === undefined || clientSecret === undefined) {
    throw new Error(`${clientId === undefined ? '--client-id (or WIRESOCKET_CLIENT_ID)' : '--client-secret (or WIRESOCKET_CLIENT_SECRET)'} is missing: give the client id and the secret together, or neither for random ones`)
  }
  // The value itself stays out of the message: it may be a secret.
  if (!PLAIN.test(clientId)) throw new Error('--client-id must be 1 to 200 printable ASCII characters without spaces')
  if (!PLAIN.test(clientSecret)) throw new Error('--client-secret must be 1 to 200 printable ASCII characters without spaces')
  const fromFlags = [present(idFlag), present(secretFlag)].filter(v => v !== undefined).length
  return { clientId, clientSecret, source: fromFlags === 2 ? 'flags' : fromFlags === 0 ? 'env' : 'mixed' }
}

/** A UUID-shaped id (RFC 9562 version 8: application-defined) that depends only on `seed`. */
export const stableUuid = (seed: string): string => {
  const hex = createHash('sha256').update(seed).digest('hex')
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

export const pinnedApp = (credentials: Credentials): Partial<LocalApp> => ({
  clientId: credentials.clientId,
  clientSecret: credentials.clientSecret,
  tenantId: stableUuid(`wiresocket-local tenant\0${credentials.clientId}`),
  appId: stableUuid(`wiresocket-local app\0${credentials.clientId}`),
})
