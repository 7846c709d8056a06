import t from 'tap';
import { PooledVerifier } from '../../../node/verify/pooled.js';
import { generateKeyPair, sign } from '../../../core/ed25519.js';
t.test('pool', async (t) => {
  const v = new PooledVerifier({ threads: 2 });
  const k = generateKeyPair();
  const m = new Uint8Array([1, 2, 3]);
  const s = sign(m, k.seed);
  const r = await v.verifyBatch([{ signature: s, message: m, publicKey: k.publicKey }, { signature: s, message: new Uint8Array([9]), publicKey: k.publicKey }]);
  t.same(r, [true, false]);
  console.log(process.execArgv);
  await v.close();
});
