/**
 * Secrets never reach the report. Every step already avoids putting them there; this is the second
 * line: every string of the finished report is scrubbed of each secret in every form a tool might
 * have printed it in (raw, percent-encoded, form-encoded, base64, base64url, and a JWT's signature).
 */

const REDACTED = '[redacted]'

/** Shorter values are not scrubbed: replacing every "a" in a report would make it unreadable. */
const MIN_SECRET_LENGTH = 8

const formsOf = (secret: string): string[] => {
  const bytes = Buffer.from(secret, 'utf8')
  const forms = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ v: secret }).toString().slice(2),
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
  ]
  // A JWT's signature alone is enough to recognise (and, with the rest, replay) the token.
  const parts = secret.split('.')
  if (parts.length === 3 && parts[2]!.length >= MIN_SECRET_LENGTH) forms.push(parts[2]!)
  return forms
}

export class Redactor {
  private forms: string[] = []

  add (secret: string | undefined): void {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) return
    const next = new Set([...this.forms, ...formsOf(secret).filter(f => f.length >= MIN_SECRET_LENGTH)])
    // Longest first, so that a form containing another is replaced whole.
    this.forms = [...next].sort((a, b) => b.length - a.length)
  }

  text (value: string): string {
    let out = value
    for (const form of this.forms) out = out.split(form).join(REDACTED)
    return out
  }

  /** A deep copy with every string value scrubbed (keys are ours, never input). */
  deep<T> (value: T): T {
    return JSON.parse(JSON.stringify(value), (_key, v: unknown) => typeof v === 'string' ? this.text(v) : v) as T
  }
}
