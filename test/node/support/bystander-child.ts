/**
 * A bystander in its own process: times round trips (sync step 1 → step 2) on its document until told
 * to stop, then reports them. Its own process, so that the attacking test's busy loop (sending
 * thousands of frames) is not counted as the dataplane's delay.
 */
import { timeRoundTrips } from './hostile-peers.ts'

const [url, token] = process.argv.slice(2) as [string, string]
const bystander = await timeRoundTrips(url, token)
process.send?.({ kind: 'ready' })
process.once('message', () => {
  bystander.stop().then(
    samples => process.send?.({ kind: 'samples', samples }, () => process.exit(0)),
    (error: unknown) => process.send?.({ kind: 'error', message: String(error) }, () => process.exit(1))
  )
})
