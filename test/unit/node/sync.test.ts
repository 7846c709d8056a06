/**
 * node/sync: committed blocks are accepted only with a commit certificate
 * of the committee (or by hash links to a block that has one); a node that
 * is behind catches up through the sync protocol's server and service
 * (wired directly, bytes in and out) to the same height and state root.
 */
import t from 'tap';
import { blockId } from '../../../consensus/messages.js';
import { genesisQc } from '../../../consensus/engine.js';
import { ed25519Scheme } from '../../../consensus/signing.js';
import type { Block, QuorumCert } from '../../../consensus/types.js';
import type { VerifyContext } from '../../../consensus/verify.js';
import { toHex } from '../../../core/bytes.js';
import { hasCode } from '../../../core/errors.js';
import { MemoryDisk } from '../../../node/storage/index.js';
import {
  SyncServer,
  SyncService,
  decodeSyncRequest,
  decodeSyncResponse,
  encodeSyncRequest,
  encodeSyncResponse,
  verifyCommittedResponse,
  type CommittedResponse,
} from '../../../node/sync/index.js';
import { decodeShardPayload, encodeShardPayload } from '../../../shards/payload.js';
import {
  GENESIS_TIME,
  USERS,
  certify,
  makeBlock,
  openChain,
  testGenesis,
  transfer,
  validatorSet,
  type OpenedChain,
} from './chain-fixtures.js';

const genesis = testGenesis();

function verifyContext(c: OpenedChain): VerifyContext {
  return {
    domain: c.chain.domain,
    validators: validatorSet(),
    scheme: ed25519Scheme,
    genesisQc: genesisQc(c.chain.genesisBlock),
  };
}

/**
 * A source chain of `n` committed blocks with transfers; heights 3 and 4 are
 * committed together by one certificate (naming 4), as after a timeout.
 */
async function sourceChain(n: number): Promise<{ src: OpenedChain; blocks: Block[]; server: SyncServer }> {
  const src = await openChain(new MemoryDisk(), genesis);
  const domain = src.chain.domain;
  const blocks: Block[] = [src.chain.genesisBlock];
  let qc: QuorumCert = genesisQc(src.chain.genesisBlock);
  let nonce = 0n;
  for (let h = 1; h <= n + 1; h++) {
    await src.mempool.addBatch([transfer(USERS[0]!, nonce++, USERS[1]!.address, BigInt(h)).bytes]);
    const parent = blocks[h - 1]!;
    const ts = GENESIS_TIME + h * 1000;
    const block = makeBlock(src.chain, parent, qc, await src.chain.buildPayload(parent, h, h, ts), h, ts);
    await src.chain.execute(block);
    blocks.push(block);
    qc = certify(domain, block, parent);
    // qc certifies `block` and commits its parent; height 3 waits to be committed with 4.
    if (h >= 2 && h - 1 !== 3) await src.chain.commit(h - 1 === 4 ? [blocks[3]!, blocks[4]!] : [parent], qc);
  }
  await src.chain.flushed();
  const server = new SyncServer({
    store: src.store,
    committedHeight: () => src.chain.tip.height,
    serveFromEngine: () => ({ blocks: [] }),
  });
  return { src, blocks, server };
}

async function committedResponse(
  server: SyncServer,
  from: number,
  count: number,
): Promise<CommittedResponse> {
  const r = decodeSyncResponse(
    await server.handle(encodeSyncRequest({ type: 'committed', value: { from, count } })),
  );
  if (r.type !== 'committed') throw new Error('unexpected response kind');
  return r.value;
}

function syncErrorCode(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return hasCode(err, String((err as { code?: string }).code))
      ? String((err as { code: string }).code)
      : 'UNTYPED';
  }
}

t.test('verification: certified blocks pass; without a valid commit certificate nothing does', async (t) => {
  const { src, server } = await sourceChain(6);
  const dst = await openChain(new MemoryDisk(), genesis);
  const ctx = verifyContext(dst);
  const tip = { id: dst.chain.tip.id, height: 0 };
  const digest = (p: Uint8Array): Uint8Array => dst.chain.payloadDigest(p);
  const resp = await committedResponse(server, 1, 6);
  t.equal(resp.tip, 6);
  t.same(
    resp.blocks.map((b) => b.height),
    [1, 2, 3, 4, 5, 6],
  );
  t.same(
    resp.certs.map((c) => c.height),
    [1, 2, 4, 5, 6],
    'no certificate is stored at height 3 (committed with 4)',
  );

  const segments = verifyCommittedResponse(ctx, tip, resp, digest);
  t.same(
    segments.map((s) => s.blocks.map((b) => b.height)),
    [[1], [2], [3, 4], [5], [6]],
    'height 3 is proven by its hash link to 4',
  );

  // No certificate at all: refused.
  t.equal(
    syncErrorCode(() => verifyCommittedResponse(ctx, tip, { ...resp, certs: [] }, digest)),
    'NO_CERTIFICATE',
  );
  // A certificate with one signature altered: refused.
  const c0 = resp.certs[0]!;
  const sig = new Uint8Array(c0.qc.signatures[0]!);
  sig[5]! ^= 1;
  const forged = { ...c0, qc: { ...c0.qc, signatures: [sig, ...c0.qc.signatures.slice(1)] } };
  t.equal(
    syncErrorCode(() => verifyCommittedResponse(ctx, tip, { ...resp, certs: [forged] }, digest)),
    'BAD_CERTIFICATE',
  );
  // Two of four signers hold no quorum: refused.
  const b1 = resp.blocks[0]!;
  const weak = { height: 1, qc: certify(dst.chain.domain, resp.blocks[1]!, b1, [0, 1]) };
  t.equal(
    syncErrorCode(() =>
      verifyCommittedResponse(ctx, tip, { ...resp, blocks: [b1, resp.blocks[1]!], certs: [weak] }, digest),
    ),
    'BAD_CERTIFICATE',
  );
  // A certificate that names another block than the one at its height: refused.
  t.equal(
    syncErrorCode(() =>
      verifyCommittedResponse(ctx, tip, { ...resp, certs: [{ height: 2, qc: c0.qc }] }, digest),
    ),
    'BAD_CERTIFICATE',
  );
  // A block that does not extend our tip: refused.
  t.equal(
    syncErrorCode(() => verifyCommittedResponse(ctx, tip, { ...resp, blocks: resp.blocks.slice(1) }, digest)),
    'NOT_LINKED',
  );
  // A payload whose header is not the one the block id commits to: refused.
  const { header, transactions } = decodeShardPayload(b1.payload);
  const altered = encodeShardPayload({
    header: { ...header, stateRoot: new Uint8Array(32).fill(9) },
    transactions,
  });
  const swapped = { ...b1, payload: altered };
  t.equal(
    syncErrorCode(() => verifyCommittedResponse(ctx, tip, { ...resp, blocks: [swapped] }, digest)),
    'PAYLOAD_DIGEST',
  );
  // Requests that do not decode are refused with a typed error (the peer is scored down by the network).
  t.equal(
    syncErrorCode(() => decodeSyncRequest(new Uint8Array([0x93, 1, 2, 3]))),
    'MALFORMED',
  );
  t.equal(
    syncErrorCode(() => decodeSyncRequest(new Uint8Array(5000))),
    'MALFORMED',
  );
  await src.close();
  await dst.close();
});

t.test('a node that is behind catches up to the same height and state root', async (t) => {
  const { src, server } = await sourceChain(9);
  const dst = await openChain(new MemoryDisk(), genesis);
  const roots: { height: number; qcHeight: number }[] = [];
  const penalized: string[] = [];
  const sync = new SyncService(
    {
      chain: dst.chain,
      verify: verifyContext(dst),
      advanceRoot: async (block, qc) => {
        roots.push({ height: block.height, qcHeight: qc.voteData.commit!.height });
      },
      peers: () => [1, 2, 3],
      // Peer 1 answers garbage; peer 3 swaps a certified block's transactions (same header, so the same
      // id and digest: execution catches it); peer 2 is the honest server.
      request: async (peer, data) => {
        if (peer === 1) return new Uint8Array([1, 2, 3]);
        const honest = await server.handle(data);
        if (peer === 2) return honest;
        const r = decodeSyncResponse(honest);
        if (r.type !== 'committed' || r.value.blocks.length === 0) return honest;
        const [first, ...rest] = r.value.blocks;
        const { header } = decodeShardPayload(first!.payload);
        const emptied = { ...first!, payload: encodeShardPayload({ header, transactions: [] }) };
        return encodeSyncResponse({ type: 'committed', value: { ...r.value, blocks: [emptied, ...rest] } });
      },
      penalize: (_peer, why) => penalized.push(why),
    },
    { batchBlocks: 3, checkIntervalMs: 60_000 },
  );
  sync.trigger('test');
  t.equal(sync.syncing, true);
  while (sync.syncing) await new Promise((r) => setTimeout(r, 5));
  await sync.stop();
  t.equal(dst.chain.tip.height, 9, 'caught up to the source committed height');
  t.equal(toHex(dst.chain.tip.header.stateRoot), toHex(src.chain.tip.header.stateRoot), 'same state root');
  t.equal(toHex(dst.chain.tip.id), toHex(src.chain.tip.id), 'same block');
  t.ok(
    roots.length >= 3 && roots.every((r) => r.height === r.qcHeight),
    "the engine's root follows each synced batch with its certificate",
  );
  t.ok(penalized.includes('MALFORMED'), 'the peer that answered garbage was scored down');
  t.ok(penalized.includes('EXECUTION_FAILED'), 'the peer that altered a payload was scored down');
  t.ok(await dst.store.commitCerts.get(2), 'certificates are kept at their heights for the next node');
  t.equal(await dst.store.commitCerts.get(3), null);
  t.equal(
    toHex(
      (await dst.store.blockAtHeight(5)) ? blockId((await dst.store.blockAtHeight(5))!) : new Uint8Array(0),
    ),
    toHex(blockId((await src.store.blockAtHeight(5))!)),
  );
  await src.close();
  await dst.close();
});
