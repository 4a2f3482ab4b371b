// Browser suite: real Debian Chromium through Playwright, TypeScript through esbuild, and local
// dataplanes hosted in this Node process (see test/support/wtr-dataplane-plugin.ts).
import { existsSync } from 'node:fs'
import { playwrightLauncher } from '@web/test-runner-playwright'
import { esbuildPlugin } from '@web/dev-server-esbuild'
import { dataplanePlugin } from './test/support/wtr-dataplane-plugin.ts'

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (!existsSync(executablePath)) {
  console.error(`No Chromium at ${executablePath}: apt-get install -y chromium, or set CHROMIUM_PATH.`)
  process.exit(1)
}

export default {
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: { exportConditions: ['browser', 'development'] },
  concurrency: 1,
  testsFinishTimeout: 300_000,
  testFramework: { config: { timeout: 30_000 } },
  plugins: [esbuildPlugin({ ts: true, tsx: true, target: 'es2022' }), dataplanePlugin()],
  browsers: [playwrightLauncher({ product: 'chromium', launchOptions: { executablePath } })],
}
