/** `y-wiresocket/local`: a faithful local WireSocket token service and dataplane, for Node. */
export { startLocalDataplane, DEFAULT_LIMITS, DEFAULT_REGIONS } from './dataplane.ts'
export { main } from './main.ts'
export type {
  HandshakeRecord,
  HandshakeTransport,
  LocalApp,
  LocalDataplane,
  LocalDataplaneOptions,
  LocalRegionInfo,
  MintTokenOptions,
  RateLimitOptions,
  SignWith,
  TokenRequestRecord,
  WireSocketLimits,
} from './types.ts'
