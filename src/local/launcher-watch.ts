/**
 * Notice when whoever launched this process through npm is gone. `npm run` and `npx` start a script
 * under `sh -c`; a SIGTERM to npm may kill npm alone (the shell stays, waiting for us) or npm and the
 * shell (we are re-parented). Either way nobody would stop us, and we would keep our ports. So watch
 * the parent and, where /proc tells us who it is, the grandparent too.
 */
import { existsSync, readFileSync } from 'node:fs'

const hasProcFs = existsSync('/proc/self/stat')

/** State letter and parent pid of `pid` from /proc (Linux), or undefined when it is gone or unknown. */
const statOf = (pid: number): { state: string; ppid: number } | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const [state = '', ppid = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { state, ppid: Number(ppid) }
  } catch {
    return undefined
  }
}

const isAlive = (pid: number): boolean => {
  // An exited process not reaped yet (a zombie) still answers kill(pid, 0): /proc tells them apart.
  if (hasProcFs) return (statOf(pid)?.state ?? 'Z') !== 'Z'
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EPERM'
  }
}

/** Our parent now: Node reads `process.ppid` once and never updates it after a re-parenting. */
const currentParent = (): number => statOf(process.pid)?.ppid ?? process.ppid

/** Calls `onGone` once when the parent or grandparent exits; returns a function that stops watching. */
export const watchLauncher = (onGone: () => void, intervalMs = 500): (() => void) => {
  const parent = currentParent()
  const grandparent = statOf(parent)?.ppid
  const watched = [parent, ...(grandparent !== undefined && grandparent > 1 ? [grandparent] : [])]
  const timer = setInterval(() => {
    if (currentParent() === parent && watched.every(isAlive)) return
    clearInterval(timer)
    onGone()
  }, intervalMs)
  // Never the reason the process stays up: the servers are.
  timer.unref()
  return () => { clearInterval(timer) }
}
