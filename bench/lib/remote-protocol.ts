/** Messages between the bench process and the dataplane child (`dataplane-child.ts`). */
export type ChildRequest =
  | { id: number; op: 'mint'; ttl?: number }
  | { id: number; op: 'expire' | 'drop' | 'stats' | 'handshakes' | 'memory' | 'close' }

export type ChildReply =
  | { kind: 'ready'; regions: string[] }
  | { kind: 'result'; id: number; value?: unknown; error?: string }
