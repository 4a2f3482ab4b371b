/**
 * Who issues WireSocket tokens and what they must say (contract §1, §2): one home for each of these
 * names, read by the backend helper, the verifier and the local dataplane alike.
 */

/** The control plane: issuer of every access token (`iss`). */
export const WIRESOCKET_ISSUER = 'https://api.wiresocket.com'
/** OAuth token endpoint (client credentials and refresh). */
export const WIRESOCKET_TOKEN_URL = `${WIRESOCKET_ISSUER}/connect/token`
/** `aud` must be exactly this, and `scope`/`scp` must contain it. */
export const WIRESOCKET_AUDIENCE = 'WireSocket.API'
export const WIRESOCKET_SCOPE = WIRESOCKET_AUDIENCE
/** Asked for beside the API scope to get a (rotating) refresh token. */
export const OFFLINE_ACCESS_SCOPE = 'offline_access'
/** The scope a backend asks for: the API, and refresh tokens. */
export const TOKEN_REQUEST_SCOPE = `${WIRESOCKET_SCOPE} ${OFFLINE_ACCESS_SCOPE}`
/**
 * The dataplane's own domain (`wss://{region}.wiresocket.net`): a redirect between its regions stays
 * with the same service, so judging it needs no public-suffix lookup.
 */
export const WIRESOCKET_DOMAIN = 'wiresocket.net'
