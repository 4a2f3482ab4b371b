/**
 * What is kept of an error the app's `getToken` (or token source) failed with: a chunk of its own,
 * loaded on the first failure (token.ts `asTokenError`).
 */

const JWT_SHAPE = /eyJ[\w-]*\.[\w-]*\.?[\w-]*/g
const blank = (text: string): string => text.replace(JWT_SHAPE, '[token]')

/** Read what an app's error says without trusting it: a getter may throw, `toString` may lie. */
const read = (from: unknown, key: string): string => {
  try {
    const value = (from as Record<string, unknown>)[key]
    return typeof value === 'string' ? blank(value) : ''
  } catch {
    return ''
  }
}

/**
 * The app's own error, kept for debugging but rebuilt from its name and message only, with anything
 * JWT-shaped blanked: `getToken` may fail with an error (or its `cause`, or `stack`, or a plain object)
 * that quotes the token, and a cause ends up in logs. Nothing else of it is kept.
 */
export const redact = (cause: unknown): unknown => {
  if (typeof cause === 'string') return blank(cause)
  if (cause == null || typeof cause === 'number' || typeof cause === 'boolean') return cause
  if (typeof cause !== 'object') return `[${typeof cause}]`
  const copy = new Error(read(cause, 'message'))
  copy.name = read(cause, 'name') || 'Error'
  return copy
}
