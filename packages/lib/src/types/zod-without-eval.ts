// Zod compiles object schemas with `new Function` when it may; a page whose Content-Security-Policy
// forbids eval (ours: `script-src 'self'`) gets a CSP violation for the attempt. The browser build
// imports this module first, before any schema exists, to turn that off; the server keeps the
// compiled parsers.
import { z } from 'zod';

z.config({ jitless: true });
