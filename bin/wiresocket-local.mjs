#!/usr/bin/env node
// `npx wiresocket-local`: start a local WireSocket dataplane and token service on loopback.
import { main } from '../dist/local.js'
main(process.argv.slice(2)).catch(error => {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(1)
})
