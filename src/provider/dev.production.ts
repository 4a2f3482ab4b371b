/** The production build's stand-in for dev.ts (see there). */
export const DEV: boolean = false
