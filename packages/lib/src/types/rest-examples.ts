// Examples for the API reference: what a request or an answer looks like on the wire. The example
// token is built here with a real checksum, so it is well-formed, yet is no token anyone holds.
import { TOKEN_PREFIX, tokenChecksum } from '../universal/token-format.js';

const RANDOM = 'Ab3xExampleOnlyNotARealToken00';
const TOKEN = TOKEN_PREFIX + RANDOM + tokenChecksum(RANDOM);

const metadata = {
  id: 42,
  name: 'CI deploys',
  start: TOKEN.slice(0, 8),
  scopes: ['tokens:read', 'tokens:write'],
  status: 'active',
  createdAt: '2026-12-01T09:30:00.000Z',
  expiresAt: '2027-03-01T09:30:00.000Z',
  lastUsedAt: '2026-12-01T10:02:14.000Z',
  createdBy: { id: 7, name: 'Ada Lovelace' },
  allowedIps: ['203.0.113.0/24'],
  breaksPolicy: null,
};

export const REST_EXAMPLES = {
  metadata,
  list: { tokens: [metadata], nextCursor: null },
  created: {
    id: 43,
    token: TOKEN,
    name: 'Nightly export',
    start: TOKEN.slice(0, 8),
    scopes: ['tokens:read'],
    createdAt: '2026-12-01T09:30:00.000Z',
    expiresAt: '2026-12-31T09:30:00.000Z',
  },
  rotated: {
    id: 44,
    token: TOKEN,
    name: 'CI deploys',
    start: TOKEN.slice(0, 8),
    scopes: ['tokens:read', 'tokens:write'],
    createdAt: '2026-12-01T09:30:00.000Z',
    expiresAt: '2027-03-01T09:30:00.000Z',
    previousTokenStopsAt: '2026-12-01T10:30:00.000Z',
  },
  me: {
    token: {
      id: 42,
      name: 'CI deploys',
      start: TOKEN.slice(0, 8),
      scopes: ['tokens:read', 'tokens:write'],
      createdAt: metadata.createdAt,
      expiresAt: metadata.expiresAt,
      lastUsedAt: metadata.lastUsedAt,
    },
    user: { id: 7, name: 'Ada Lovelace', email: 'ada@example.com' },
    team: null,
  },
  error: {
    code: 'INVALID_BODY',
    message: 'Name must be at least 3 characters',
    issues: [{ path: 'name', message: 'Name must be at least 3 characters' }],
  },
  createRequest: { name: 'Nightly export', expiresIn: 'ONE_MONTH', scopes: ['tokens:read'] },
  rotateRequest: { gracePeriodSeconds: 3600 },
  leakReport: { credentials: [TOKEN] },
  leakReportAccepted: { status: 'accepted' },
};
