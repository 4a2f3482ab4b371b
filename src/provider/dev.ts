/**
 * True in the development build, which is the default. The `production` export condition (Vite and
 * webpack resolve it for production builds) selects the build where this module is replaced by
 * dev.production.ts: bundlers then drop every `DEV ? long : short` text and the dev-only checks: the
 * provider's transition table (a guard against our own mistakes that the tests exercise) and the checks of
 * options only code can get wrong (see options.ts `validate`). Messages stay true in production, only
 * shorter: an invalid URL or document name still throws naming the option.
 */
export const DEV: boolean = true
