/** Waiting for provider events: browser-safe, shared by the Node and the Chromium suites. */
import type { WireSocketProvider, WireSocketProviderEvents } from '../../src/index.ts'

/** Resolve with the listener arguments of the next `name` event that satisfies `accept`. */
export const next = <N extends keyof WireSocketProviderEvents & string>(
  provider: WireSocketProvider,
  name: N,
  accept: (...args: Parameters<WireSocketProviderEvents[N]>) => boolean = () => true,
  timeout = 15_000
): Promise<Parameters<WireSocketProviderEvents[N]>> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      provider.off(name, listener)
      reject(new Error(`timed out waiting for "${name}"`))
    }, timeout)
    const listener = ((...args: Parameters<WireSocketProviderEvents[N]>) => {
      if (!accept(...args)) return
      clearTimeout(timer)
      provider.off(name, listener)
      resolve(args)
    }) as WireSocketProviderEvents[N]
    provider.on(name, listener)
  })

export const synced = async (provider: WireSocketProvider, timeout?: number): Promise<void> => {
  if (provider.synced) return
  await next(provider, 'sync', s => s, timeout)
}
