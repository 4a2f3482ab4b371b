/** The y-websocket wire protocol's top-level message types (contract §3). */
export const messageSync = 0
export const messageAwareness = 1
export const messageAuth = 2
export const messageQueryAwareness = 3
