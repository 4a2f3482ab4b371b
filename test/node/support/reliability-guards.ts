/**
 * Guards for the reliability suite: every event a provider emits is serialised and searched for a
 * token, and unhandled rejections are collected for the whole file.
 */
import type { WireSocketProvider, WireSocketProviderEvents } from '../../../src/index.ts'

/** Everything that looks like a JWT (or its first segment): base64url of `{"` starts with `eyJ`. */
export const TOKEN_PATTERN = /eyJ[\w-]{4,}/

const EVENT_NAMES: Array<keyof WireSocketProviderEvents> = [
  'status', 'sync', 'synced', 'connection-close', 'connection-error', 'closed', 'token', 'token-error',
  'limit', 'redirect', 'message-error', 'permission-denied',
]

/** JSON that keeps what a log would keep of an Error (name, message, code, cause) and skips the provider itself. */
export const serialise = (value: unknown, provider?: WireSocketProvider): string =>
  JSON.stringify(value, (_key, v: unknown) => {
    if (provider !== undefined && v === provider) return '[provider]'
    if (v instanceof Error) return { name: v.name, message: v.message, code: (v as { code?: unknown }).code, cause: v.cause, stack: v.stack }
    if (typeof v === 'object' && v !== null && 'target' in v) return { type: (v as { type?: unknown }).type, code: (v as { code?: unknown }).code, reason: (v as { reason?: unknown }).reason, message: (v as { message?: unknown }).message }
    return v
  }) ?? 'undefined'

/** Record every event of `provider` as serialised text; `leaks()` lists those containing a token. */
export const recordEvents = (provider: WireSocketProvider): { events: Array<{ name: string; text: string }>; leaks(): string[] } => {
  const events: Array<{ name: string; text: string }> = []
  for (const name of EVENT_NAMES) {
    // Listeners are typed per event; here every one is treated the same way, as a list of arguments.
    provider.on(name, ((...args: unknown[]) => { events.push({ name, text: serialise(args, provider) }) }) as WireSocketProviderEvents[typeof name])
  }
  return { events, leaks: () => events.filter(e => TOKEN_PATTERN.test(e.text)).map(e => `${e.name}: ${e.text.slice(0, 200)}`) }
}

/** Collect unhandled rejections between `start()` and `stop()` (which returns them). */
export const unhandledRejections = (): { start(): void; stop(): unknown[] } => {
  const seen: unknown[] = []
  const listener = (reason: unknown): void => { seen.push(reason) }
  return {
    start: () => { process.on('unhandledRejection', listener) },
    stop: () => { process.off('unhandledRejection', listener); return seen },
  }
}
