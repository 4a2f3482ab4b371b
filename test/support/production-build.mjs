// `npm run test:production`: the provider's integration tests against the package's production build.
// Imports of the browser entries (src/index.ts, src/hocuspocus/index.ts) resolve to dist/*.production.js,
// which the `production` export condition selects in apps' production bundles: without long messages and
// dev-only checks, and with internal members renamed (rollup.config.mjs). Everything else (the local
// dataplane, the tests' helpers) stays as it is.
import { register } from 'node:module'

register('./production-build-hooks.mjs', import.meta.url)
