// A project outside the repository that installed @latchkey/client and @latchkey/lib from their
// tarballs with plain npm (test/packages.test.ts builds it): compiled with `module: NodeNext` and run
// with plain node, it asks the server who a token belongs to, and checks the same token itself on
// the server's database. It prints one JSON line for the test to read.
import { whoAmI } from './call-with-client.js';
import { checkWithLib } from './check-with-lib.js';

const { LATCHKEY_URL, LATCHKEY_TOKEN, LATCHKEY_DATABASE } = process.env;
if (!LATCHKEY_URL || !LATCHKEY_TOKEN || !LATCHKEY_DATABASE) {
  throw new Error('LATCHKEY_URL, LATCHKEY_TOKEN and LATCHKEY_DATABASE must be set');
}

const me = await whoAmI(LATCHKEY_URL, LATCHKEY_TOKEN);
const check = await checkWithLib(LATCHKEY_DATABASE, LATCHKEY_TOKEN);
const wrong = await checkWithLib(LATCHKEY_DATABASE, `${LATCHKEY_TOKEN.slice(0, -1)}x`);
console.log(JSON.stringify({ me, check, wrong }));
