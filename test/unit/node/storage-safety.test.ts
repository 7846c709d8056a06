/**
 * The safety data against power cuts: a validator cut off right after a vote
 * left never votes differently in that round after a restart. The disk is a
 * MemoryDisk, which loses every write not covered by a synced write; the
 * rules are the real consensus SafetyRules over the real DurableSafetyStorage.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyPairFromSeed } from '../../../core/ed25519.js';
import { equalBytes } from '../../../core/bytes.js';
import { sha256 } from '../../../core/hash.js';
import { encode, packRaw, unpackRaw } from '../../../core/codec.js';
import { SafetyRules } from '../../../consensus/safety-rules.js';
import { ed25519Scheme, makeSigner } from '../../../consensus/signing.js';
import { SafetyDataCodec, blockInfo } from '../../../consensus/messages.js';
import type {
  Block,
  BlockInfo,
  ConsensusDomain,
  QuorumCert,
  SafetyData,
  SafetyStorage,
} from '../../../consensus/types.js';
import {
  Bucket,
  DurableSafetyStorage,
  MemoryDisk,
  MemoryKvStore,
  NodeDatabase,
  bytesValue,
  canonicalValue,
  moveSafetyData,
  singletonKey,
} from '../../../node/storage/index.js';
import { MetricsRegistry } from '../../../node/metrics/index.js';

const COMMITTEE = 3;
const domain: ConsensusDomain = { chainId: 7, committeeId: COMMITTEE, epoch: 1 };
const key = keyPairFromSeed(new Uint8Array(32).fill(5));
const signer = makeSigner(ed25519Scheme, key.seed, key.publicKey);

function qcOver(block: BlockInfo, parent: BlockInfo): QuorumCert {
  return {
    voteData: { block, parent, commit: null },
    signers: new Uint8Array([0b111]),
    signatures: [1, 2, 3].map((i) => new Uint8Array(64).fill(i)),
  };
}

const GENESIS: BlockInfo = { id: new Uint8Array(32), round: 0, height: 0 };

/** A block of round `round` extending `parent` (certified by `qc`); `variant` makes conflicting blocks of one round. */
function makeBlock(parent: BlockInfo, qc: QuorumCert, round: number, variant: number): Block {
  const payload = new Uint8Array([round, variant]);
  return {
    version: 1,
    chainId: domain.chainId,
    committeeId: COMMITTEE,
    epoch: domain.epoch,
    round,
    height: parent.height + 1,
    parentId: parent.id,
    proposer: round % 4,
    timestamp: 1_700_000_000_000 + round * 1000 + variant,
    payloadDigest: sha256(payload),
    payload,
    qc,
    tc: null,
  };
}

/** A chain of `n` blocks of consecutive rounds; forks[r] is a conflicting block of round r (same parent). */
function chainWithForks(n: number): { main: Block[]; forks: Block[] } {
  const main: Block[] = [];
  const forks: Block[] = [];
  let parent = GENESIS;
  let grand = GENESIS;
  for (let r = 1; r <= n; r++) {
    const qc = qcOver(parent, grand);
    const b = makeBlock(parent, qc, r, 0);
    main.push(b);
    forks.push(makeBlock(parent, qc, r, 1));
    grand = parent;
    parent = blockInfo(b);
  }
  return { main, forks };
}

/** A validator process on a disk: database + durable safety storage + real safety rules. */
async function boot(
  disk: MemoryDisk,
  storageOf: (db: NodeDatabase) => SafetyStorage = (db) => new DurableSafetyStorage(db, COMMITTEE),
  mutations = {},
) {
  const db = new NodeDatabase(disk.open(), { metrics: new MetricsRegistry() });
  const rules = await SafetyRules.open({ domain, self: 0, signer, storage: storageOf(db), mutations });
  return { db, rules };
}

/**
 * Votes for main[r] of each round, and after each vote (once it has left:
 * the promise resolved) cuts the power and restarts; then asks the restarted
 * validator to vote for the conflicting block of that round. Returns the
 * rounds in which it signed two different blocks.
 */
async function equivocationsAfterPowerCuts(
  storageOf?: (db: NodeDatabase) => SafetyStorage,
  mutations = {},
): Promise<number[]> {
  const { main, forks } = chainWithForks(6);
  const disk = new MemoryDisk();
  let { rules } = await boot(disk, storageOf, mutations);
  const doubles: number[] = [];
  for (let r = 1; r <= main.length; r++) {
    const vote = await rules.constructAndSignVote(main[r - 1]!, null);
    // The vote has left the process. Power cut, restart.
    disk.powerCut();
    ({ rules } = await boot(disk, storageOf, mutations));
    try {
      const other = await rules.constructAndSignVote(forks[r - 1]!, null);
      if (!equalBytes(other.voteData.block.id, vote.voteData.block.id)) doubles.push(r);
    } catch {
      // refused: what the safety rules must do
    }
    // Asked again for the block it voted for, it re-sends the stored vote, byte for byte.
    const again = await rules.constructAndSignVote(main[r - 1]!, null).catch(() => null);
    if (again !== null && !equalBytes(again.signature, vote.signature)) doubles.push(r);
  }
  return doubles;
}

t.test(
  'a validator cut off right after voting never votes differently in that round after restart',
  async (t) => {
    t.same(
      await equivocationsAfterPowerCuts(),
      [],
      'no second vote in any of 6 rounds, each followed by a power cut',
    );

    const disk = new MemoryDisk();
    const { rules, db } = await boot(disk);
    const { main, forks } = chainWithForks(2);
    await rules.constructAndSignVote(main[0]!, null);
    t.ok(
      db.metrics!.safetySaveSeconds.get({ committee: String(COMMITTEE) }).count >= 1,
      'save times are measured',
    );
    t.equal(disk.pendingUnsynced, 0, 'nothing of the safety data waits unsynced once the vote is returned');
    disk.powerCut();
    const restarted = await boot(disk);
    t.equal(restarted.rules.data.lastVotedRound, 1, 'the last voted round survived the power cut');
    await t.rejects(restarted.rules.constructAndSignVote(forks[0]!, null), { code: 'ALREADY_VOTED' });
  },
);

t.test(
  'the test disk catches storage that does not sync, and rules that vote before persisting',
  async (t) => {
    // A SafetyStorage that writes without sync: true, the bug this harness exists to catch.
    class UnsyncedSafetyStorage implements SafetyStorage {
      private readonly repo;
      constructor(db: NodeDatabase) {
        // The same bucket and encoding as DurableSafetyStorage.
        this.repo = db.repository(
          Bucket.safetyData,
          COMMITTEE,
          singletonKey,
          canonicalValue(SafetyDataCodec),
        );
      }
      load(): Promise<SafetyData | null> {
        return this.repo.get(null);
      }
      async save(data: SafetyData): Promise<void> {
        await this.repo.put(null, data, { sync: false });
      }
    }
    const unsynced = await equivocationsAfterPowerCuts((db) => new UnsyncedSafetyStorage(db));
    t.ok(
      unsynced.length > 0,
      `unsynced safety writes lead to double votes after a power cut (rounds ${unsynced.join(', ')})`,
    );

    const mutant = await equivocationsAfterPowerCuts(undefined, { skipPersistBeforeVote: true });
    t.ok(
      mutant.length > 0,
      `votes sent before persisting lead to double votes (rounds ${mutant.join(', ')})`,
    );
  },
);

/**
 * Leads each round (proposer 0): its proposal is signed, reserved by the save
 * of its vote of the round before (odd rounds) or by signProposal's own save
 * (even rounds); after each signature (the proposal has left) it cuts the
 * power and restarts, then asks for a conflicting proposal of that round.
 * Returns the rounds in which it signed two different proposals.
 */
async function proposalEquivocationsAfterPowerCuts(mutations = {}): Promise<number[]> {
  const { main, forks } = chainWithForks(6);
  const ours = (b: Block): Block => ({ ...b, proposer: 0 });
  const disk = new MemoryDisk();
  let { rules } = await boot(disk, undefined, mutations);
  const doubles: number[] = [];
  for (let r = 2; r <= main.length; r++) {
    if (r % 2 === 1) await rules.constructAndSignVote(main[r - 2]!, null, true);
    await rules.signProposal(ours(main[r - 1]!));
    disk.powerCut();
    ({ rules } = await boot(disk, undefined, mutations));
    const second = await rules.signProposal(ours(forks[r - 1]!)).catch(() => null);
    if (second !== null) doubles.push(r);
  }
  return doubles;
}

t.test('a leader cut off right after its proposal left never signs another in that round', async (t) => {
  t.same(await proposalEquivocationsAfterPowerCuts(), [], 'no second proposal in rounds 2 to 6');
  const mutant = await proposalEquivocationsAfterPowerCuts({ skipProposalReservation: true });
  t.ok(
    mutant.length > 0,
    `proposals signed with no saved reservation are signed again (rounds ${mutant.join(', ')})`,
  );
});

t.test('a version 1 record (before proposal reservations) loads with proposalRound 0', async (t) => {
  const { db, rules } = await boot(new MemoryDisk());
  const { main } = chainWithForks(1);
  await rules.constructAndSignVote(main[0]!, null);
  const v2 = encode(SafetyDataCodec, rules.data);
  // Version 1 is the same array without its last field, with version 1 first.
  const wire = unpackRaw(v2) as unknown[];
  const v1 = packRaw([1, ...wire.slice(1, -1)]);
  const raw = db.repository(Bucket.safetyData, COMMITTEE, singletonKey, bytesValue);
  await raw.put(null, v1, { sync: true });
  t.same(await new DurableSafetyStorage(db, COMMITTEE).load(), { ...rules.data, proposalRound: 0 });
  await raw.put(null, packRaw([3, ...wire.slice(1)]), { sync: true });
  await t.rejects(
    new DurableSafetyStorage(db, COMMITTEE).load(),
    { code: 'CORRUPT' },
    'an unknown version is refused',
  );
});

t.test(
  'a power cut while the save is in flight: the vote never leaves, and either block may be voted after restart',
  async (t) => {
    const disk = new MemoryDisk();
    const { rules } = await boot(disk);
    const { main, forks } = chainWithForks(1);
    const pending = rules.constructAndSignVote(main[0]!, null);
    // Cut before the synced write completes.
    await new Promise((r) => process.nextTick(r));
    disk.powerCut();
    await t.rejects(pending, { code: 'PERSIST_FAILED' }, 'the vote is not returned');
    const restarted = await boot(disk);
    t.equal(restarted.rules.data.lastVotedRound, 0, 'nothing was persisted');
    const v = await restarted.rules.constructAndSignVote(forks[0]!, null);
    t.equal(
      v.voteData.block.round,
      1,
      'voting for the other block is safe: the first vote never existed outside',
    );
  },
);

t.test(
  'DurableSafetyStorage on LevelDB: votes and timeouts with nested certificates round-trip; corruption is refused',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hotshard-safety-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const { main } = chainWithForks(3);
    let db = await NodeDatabase.open(dir);
    let rules = await SafetyRules.open({
      domain,
      self: 0,
      signer,
      storage: new DurableSafetyStorage(db, COMMITTEE),
    });
    await rules.constructAndSignVote(main[0]!, null);
    await rules.constructAndSignVote(main[1]!, null);
    // Time out in round 3 with the QC of round 2 (carried by block 3).
    const timeout = await rules.signTimeout(3, main[2]!.qc, null);
    const before = rules.data;
    await db.close();

    db = await NodeDatabase.open(dir);
    const loaded = await new DurableSafetyStorage(db, COMMITTEE).load();
    // TimeoutMsg.highTc: absent is the same as null (consensus/types.ts); the codec writes null.
    const expected = {
      ...before,
      lastTimeout: { ...before.lastTimeout!, highTc: before.lastTimeout!.highTc ?? null },
    };
    t.same(loaded, expected, 'the whole safety data, votes and timeout with their QCs, read back equal');
    t.ok(loaded?.lastTimeout !== null && equalBytes(loaded!.lastTimeout!.signature, timeout.signature));
    t.equal(
      await new DurableSafetyStorage(db, COMMITTEE + 1).load(),
      null,
      'another committee has its own record',
    );
    rules = await SafetyRules.open({
      domain,
      self: 0,
      signer,
      storage: new DurableSafetyStorage(db, COMMITTEE),
    });
    const resent = await rules.signTimeout(3, main[2]!.qc, null);
    t.ok(
      equalBytes(resent.signature, timeout.signature) && resent.round === 3,
      'asked again, the stored timeout is re-sent',
    );

    await db
      .repository(Bucket.safetyData, COMMITTEE, singletonKey, bytesValue)
      .put(null, new Uint8Array([0x96, 1, 2]), { sync: true });
    await t.rejects(
      new DurableSafetyStorage(db, COMMITTEE).load(),
      { code: 'CORRUPT' },
      'a corrupt record is an error, not "no safety data"',
    );
    await t.rejects(
      SafetyRules.open({ domain, self: 0, signer, storage: new DurableSafetyStorage(db, COMMITTEE) }),
      'the rules refuse to start on it',
    );
    await db.close();
  },
);

t.test('safety data moves once into its own database, synced before the old record goes', async (t) => {
  const main = new NodeDatabase(MemoryKvStore.create());
  const own = new NodeDatabase(MemoryKvStore.create());
  const data: SafetyData = {
    epoch: 1,
    lastVotedRound: 41,
    oneChainRound: 40,
    lastVote: null,
    highestTimeoutRound: 39,
    lastTimeout: null,
    proposalRound: 38,
  };
  await new DurableSafetyStorage(main, COMMITTEE).save(data);
  t.equal(await moveSafetyData(main, own, COMMITTEE), true, 'the record moves');
  t.same(await new DurableSafetyStorage(own, COMMITTEE).load(), data, 'the own database holds it');
  t.equal(await new DurableSafetyStorage(main, COMMITTEE).load(), null, 'the old record is gone');
  t.equal(await moveSafetyData(main, own, COMMITTEE), false, 'a second start moves nothing');
  // A crash after the copy and before the delete: both hold it, and the own database wins.
  await new DurableSafetyStorage(main, COMMITTEE).save({ ...data, lastVotedRound: 7 });
  t.equal(await moveSafetyData(main, own, COMMITTEE), false, 'never overwrites the own record');
  t.equal((await new DurableSafetyStorage(own, COMMITTEE).load())!.lastVotedRound, 41);
});
