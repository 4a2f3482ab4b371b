// Runs before the test suites: the browser tests need Debian's Chromium, which a fresh machine lacks.
// As root with apt-get available we install it (Playwright's own browser download cannot work here);
// otherwise we stop with a one-line hint instead of a stack trace from deep inside Playwright.
import { existsSync } from 'node:fs'
import { execFileSync } from 'node:child_process'

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (existsSync(path)) process.exit(0)

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
if (!process.env.CHROMIUM_PATH && isRoot && existsSync('/usr/bin/apt-get')) {
  console.log('Chromium is missing: installing Debian\'s chromium package (about 30 s)…')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env })
  if (existsSync(path)) process.exit(0)
}
console.error(`No Chromium at ${path}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH.`)
process.exit(1)
