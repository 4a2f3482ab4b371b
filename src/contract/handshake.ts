/**
 * How a token travels at the WebSocket handshake (contract §3). The documented names first; the
 * legacy ones are what some older pages show, accepted by the local dataplane.
 */

/** Subprotocols `[TOKEN_SUBPROTOCOL, <JWT>]`: the server selects the name, never echoes the JWT. */
export const TOKEN_SUBPROTOCOL = 'access_token'
export const LEGACY_TOKEN_SUBPROTOCOL = 'Bearer'
/** `?token=<JWT>` */
export const TOKEN_QUERY_PARAM = 'token'
export const LEGACY_TOKEN_QUERY_PARAM = 'access_token'
