import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { areaOf, summarizeProfiles } from '../../../bench/profile.js';
import { percentile } from '../../../bench/stats.js';

t.test('areas: hotshard folders, packages, idle and gc', async (t) => {
  t.equal(areaOf('file:///w/dist/node/mempool/mempool.js', 'admit'), 'node/mempool');
  t.equal(areaOf('file:///w/dist/node/validator.js', 'x'), 'node/validator');
  t.equal(areaOf('file:///w/dist/core/codec.js', 'x'), 'core');
  t.equal(areaOf('file:///w/node_modules/@libp2p/gossipsub/dist/src/index.js', 'x'), '@libp2p/gossipsub');
  t.equal(areaOf('file:///w/node_modules/msgpackr/pack.js', 'x'), 'msgpackr');
  t.equal(
    areaOf('file:///w/node_modules/piscina/dist/worker.js', 'atomicsWaitLoop'),
    'idle',
    'a pool worker waiting is idle',
  );
  t.equal(areaOf('', '(idle)'), 'idle');
  t.equal(areaOf('', '(garbage collector)'), 'gc');
  t.equal(areaOf('node:internal/streams', 'x'), 'node internals');
  t.equal(areaOf('node:internal/crypto/sig', 'verifyOneShot'), 'node:crypto ed25519 verify');
  t.equal(areaOf('node:internal/crypto/hash', 'hash'), 'node:crypto sha256');
  t.equal(areaOf('', 'writeBuffer'), 'native: writeBuffer');
});

t.test('summary adds self time per area over every profile file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hotshard-prof-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const profile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '' } },
      { id: 2, callFrame: { functionName: 'verify', url: 'file:///w/dist/node/verify/worker.js' } },
      { id: 3, callFrame: { functionName: '(idle)', url: '' } },
    ],
    samples: [2, 2, 3, 2],
    timeDeltas: [1000, 2000, 5000, 1000],
  };
  writeFileSync(join(dir, 'a.cpuprofile'), JSON.stringify(profile));
  writeFileSync(join(dir, 'b.cpuprofile'), JSON.stringify(profile));
  writeFileSync(join(dir, 'not-a-profile.txt'), 'x');
  const s = summarizeProfiles(dir);
  t.equal(s.files, 2);
  t.same(s.areas, [
    { area: 'idle', ms: 10 },
    { area: 'node/verify', ms: 8 },
  ]);
  t.equal(s.busyMs, 8);
});

t.test('percentile by nearest rank', async (t) => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
  t.equal(percentile(xs, 50), 50);
  t.equal(percentile(xs, 99), 99);
  t.equal(percentile(xs, 100), 100);
  t.equal(percentile([7], 99), 7);
  t.ok(Number.isNaN(percentile([], 50)));
});
