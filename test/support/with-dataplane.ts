/** A local dataplane for the length of one test body, closed afterwards whatever happens. */
import { startLocalDataplane, type LocalDataplane, type LocalDataplaneOptions } from '../../src/local/index.ts'

export const withDataplane = async (options: LocalDataplaneOptions, body: (dp: LocalDataplane) => Promise<void>): Promise<void> => {
  const dp = await startLocalDataplane(options)
  try {
    await body(dp)
  } finally {
    await dp.close()
  }
}
