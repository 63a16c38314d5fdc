// SPDX-License-Identifier: Apache-2.0
// Verifies an ES256 JWT with the jose library (an implementation independent of
// Gatewarden's): node jwt-verify.mjs TOKEN_FILE PUBLIC_KEY_PEM_FILE
// Prints the verified claims as JSON; exits 1 if the token does not verify.
import { readFileSync } from 'node:fs';
import { importSPKI, jwtVerify } from 'jose';

const [tokenFile, keyFile] = process.argv.slice(2);
const token = readFileSync(tokenFile, 'utf8').trim();
const key = await importSPKI(readFileSync(keyFile, 'utf8'), 'ES256');
try {
  const { payload, protectedHeader } = await jwtVerify(token, key, { algorithms: ['ES256'] });
  console.log(JSON.stringify({ header: protectedHeader, claims: payload }));
} catch (e) {
  console.error(`jwt-verify: ${e.code || e.name}: ${e.message}`);
  process.exit(1);
}
