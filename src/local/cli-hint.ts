/** The CLI's "how to connect": this package's backend client and provider, with this instance's URLs. */
export interface HintInput {
  clientId: string
  clientSecret: string
  tokenUrl: string
  regionUrl: string
}

export const connectHint = ({ clientId, clientSecret, tokenUrl, regionUrl }: HintInput): string => [
  'How to connect (y-wiresocket):',
  '',
  '  # .env of your backend',
  `  WIRESOCKET_CLIENT_ID=${clientId}`,
  `  WIRESOCKET_CLIENT_SECRET=${clientSecret}`,
  `  WIRESOCKET_TOKEN_URL=${tokenUrl}`,
  '',
  '  // backend: hands tokens to your signed-in users (mount the handler at POST /api/wiresocket-token)',
  "  import { createTokenClient, createTokenHandler } from 'y-wiresocket/server'",
  '  const client = createTokenClient({',
  '    clientId: process.env.WIRESOCKET_CLIENT_ID!,',
  '    clientSecret: process.env.WIRESOCKET_CLIENT_SECRET!,',
  `    tokenUrl: process.env.WIRESOCKET_TOKEN_URL, // ${tokenUrl}`,
  '  })',
  '  export const POST = createTokenHandler({ client, authorize: async request => await getSessionUser(request) })',
  '',
  '  // browser',
  "  import { WireSocketProvider } from 'y-wiresocket'",
  `  const provider = new WireSocketProvider('${regionUrl}', 'my-doc', ydoc, {`,
  "    getToken: async ({ signal }) => (await fetch('/api/wiresocket-token', { method: 'POST', signal })).json(),",
  '  })',
].join('\n')
