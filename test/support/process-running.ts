// Whether a process that is not our child still runs. An exited process whose parent has not reaped
// it yet (a zombie: here, re-parented to an init that reaps slowly) still answers kill(pid, 0), so
// /proc's state decides where there is a /proc.
import { existsSync, readFileSync } from 'node:fs'

const hasProcFs = existsSync('/proc/self/stat')

export const isRunning = (pid: number): boolean => {
  if (hasProcFs) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z'
    } catch {
      return false
    }
  }
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
