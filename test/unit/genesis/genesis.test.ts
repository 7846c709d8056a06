/** The genesis format: every validation error, round trips, the hash, creation. */
import t from 'tap';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { toHex, equalBytes } from '../../../core/bytes.js';
import { addressFromPublicKey } from '../../../core/address.js';
import { keyPairFromSeed } from '../../../core/ed25519.js';
import {
  BEACON_COMMITTEE,
  committeeMembers,
  committeesOf,
  createGenesis,
  decodeGenesis,
  encodeGenesis,
  genesisFromJson,
  genesisFromJsonUnvalidated,
  genesisHash,
  genesisToJson,
  listGenesisProblems,
  parseGenesisJson,
  shardOfAddress,
  validatorKeysFromSecrets,
  type Genesis,
} from '../../../genesis/index.js';

const seed = (label: string) => new Uint8Array(createHash('sha256').update(label).digest());
const validators = Array.from({ length: 8 }, (_, i) => {
  const k = validatorKeysFromSecrets(seed(`v-ed-${i}`), seed(`v-secp-${i}`));
  return { publicKey: k.ed25519.publicKey, ethAddress: k.secp256k1.ethAddress };
});
const accounts = Array.from({ length: 6 }, (_, i) =>
  addressFromPublicKey(keyPairFromSeed(seed(`acct-${i}`)).publicKey),
);
const U128_MAX = (1n << 128n) - 1n;

const base: Genesis = createGenesis({
  chainId: 77,
  ethereumChainId: 31337,
  shardCount: 2,
  validators,
  genesisTime: 1_700_000_000_000,
  funds: accounts.map((address, i) => ({ address, amount: BigInt(1000 + i) })),
});

/** The JSON of the base genesis, mutated by `f`. */
function mutated(f: (j: any) => void): unknown {
  const j = JSON.parse(JSON.stringify(genesisToJson(base)));
  f(j);
  return j;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

t.test('the base genesis is valid and assigns committees as documented', async (t) => {
  t.same(listGenesisProblems(base), []);
  t.equal(base.beaconCommittee.length, 8, 'every validator in the beacon');
  t.same(
    base.shardCommittees.map((c) =>
      c.map((m) => validators.findIndex((v) => equalBytes(v.publicKey, m.publicKey))),
    ),
    [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ],
    'disjoint shard committees',
  );
  t.same(committeesOf(base, validators[5]!.publicKey), [
    { committeeId: BEACON_COMMITTEE, index: 5 },
    { committeeId: 1, index: 1 },
  ]);
  t.equal(committeeMembers(base, 0)!.length, 4);
  for (const b of base.balances)
    t.equal(
      b.shard,
      shardOfAddress(b.address, base.bucketCount, base.shardCount),
      'each balance on its shard',
    );
});

t.test('every validation error has its own code', async (t) => {
  const cases: [string, (j: any) => void, string][] = [
    ['wrong version', (j) => (j.version = 2), 'VERSION'],
    [
      'duplicate ed25519 key in a committee',
      (j) => (j.shardCommittees[0][1].publicKey = j.shardCommittees[0][0].publicKey),
      'DUPLICATE_KEY',
    ],
    [
      'duplicate Ethereum address in a committee',
      (j) => (j.beaconCommittee[2].ethAddress = j.beaconCommittee[3].ethAddress),
      'DUPLICATE_KEY',
    ],
    ['empty committee', (j) => (j.shardCommittees[1] = []), 'EMPTY_COMMITTEE'],
    [
      'committee below 4 members',
      (j) => (j.beaconCommittee = j.beaconCommittee.slice(0, 3)),
      'COMMITTEE_TOO_SMALL',
    ],
    ['zero stake', (j) => (j.shardCommittees[0][2].stake = '0'), 'ZERO_STAKE'],
    [
      'stake overflow',
      (j) => j.beaconCommittee.forEach((m: any) => (m.stake = ((1n << 127n) - 1n).toString())),
      'STAKE_OVERFLOW',
    ],
    ['unknown shard in balances', (j) => (j.balances[0].shard = 2), 'UNKNOWN_SHARD'],
    ['balance on the wrong shard', (j) => (j.balances[0].shard = 1 - j.balances[0].shard), 'WRONG_SHARD'],
    ['bad hex in a key', (j) => (j.beaconCommittee[0].publicKey = '0x' + 'zz'.repeat(32)), 'BAD_HEX'],
    ['key of the wrong length', (j) => (j.beaconCommittee[0].publicKey = '0x1234'), 'BAD_HEX'],
    ['hex without 0x', (j) => (j.balances[0].address = j.balances[0].address.slice(2)), 'BAD_HEX'],
    [
      'not a point of ed25519',
      (j) => (j.beaconCommittee[0].publicKey = '0x' + 'ff'.repeat(32)),
      'BAD_PUBLIC_KEY',
    ],
    [
      'small-order ed25519 key',
      (j) => (j.beaconCommittee[0].publicKey = '0x01' + '00'.repeat(31)),
      'BAD_PUBLIC_KEY',
    ],
    [
      'wrong EIP-55 checksum',
      (j) => (j.beaconCommittee[0].ethAddress = flipCase(j.beaconCommittee[0].ethAddress)),
      'BAD_CHECKSUM',
    ],
    ['duplicate balance entries', (j) => j.balances.push({ ...j.balances[0] }), 'DUPLICATE_BALANCE'],
    ['amount above 2^128 - 1', (j) => (j.balances[0].amount = (1n << 128n).toString()), 'AMOUNT_TOO_LARGE'],
    ['zero amount', (j) => (j.balances[0].amount = '0'), 'ZERO_AMOUNT'],
    ['amount as a float', (j) => (j.balances[0].amount = 1.5), 'BAD_FIELD'],
    ['negative amount', (j) => (j.balances[0].amount = '-1'), 'BAD_FIELD'],
    [
      'total supply above 2^128 - 1',
      (j) => {
        j.balances[0].amount = U128_MAX.toString();
        j.balances[1].amount = '1';
      },
      'SUPPLY_OVERFLOW',
    ],
    ['committees for another shard count', (j) => j.shardCommittees.pop(), 'SHARD_COUNT'],
    ['zero shards', (j) => (j.shardCount = 0), 'SHARD_COUNT'],
    ['bucket count not a power of two', (j) => (j.bucketCount = 1000), 'BAD_BUCKETS'],
    ['unknown bucket rule', (j) => (j.bucketRule = 'modulo'), 'BAD_BUCKETS'],
    ['missing field', (j) => delete j.fees, 'MISSING_FIELD'],
    ['misspelt field', (j) => (j.chainID = 1), 'UNKNOWN_FIELD'],
    ['zero chain id', (j) => (j.chainId = 0), 'BAD_PARAM'],
    ['max timeout below base', (j) => (j.consensus.maxRoundTimeoutMs = 10), 'BAD_PARAM'],
    [
      'duplicate withdrawal limit',
      (j) =>
        (j.bridge.withdrawalLimits = [
          { asset: 'eth', amountPerPeriod: '5' },
          { asset: 'eth', amountPerPeriod: '6' },
        ]),
      'DUPLICATE_LIMIT',
    ],
  ];
  for (const [name, f, code] of cases)
    t.equal(
      codeOf(() => genesisFromJson(mutated(f))),
      code,
      name,
    );
  t.equal(
    codeOf(() => parseGenesisJson('{"version": 1,')),
    'BAD_JSON',
    'not JSON',
  );
  // Problems are listed together, with paths.
  const problems = listGenesisProblems(
    genesisFromJsonUnvalidated(
      mutated((j) => ((j.shardCommittees[0][2].stake = '0'), (j.balances[0].shard = 5))),
    ),
  );
  t.same(
    problems.map((p) => [p.code, p.context.path]),
    [
      ['ZERO_STAKE', 'shardCommittees[0][2].stake'],
      ['UNKNOWN_SHARD', 'balances[0].shard'],
    ],
  );
});

function flipCase(addr: string): string {
  const i = [...addr].findIndex((c, k) => k > 1 && /[a-fA-F]/.test(c));
  const c = addr[i]!;
  return addr.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + addr.slice(i + 1);
}

t.test('round trips: JSON and canonical bytes; the hash ignores balance order', async (t) => {
  const json = genesisToJson(base);
  const back = genesisFromJson(JSON.parse(JSON.stringify(json)));
  t.same(genesisToJson(back), json, 'JSON -> genesis -> JSON');
  const bytes = encodeGenesis(base);
  t.ok(equalBytes(encodeGenesis(decodeGenesis(bytes)), bytes), 'bytes -> genesis -> bytes');
  t.equal(toHex(genesisHash(back)), toHex(genesisHash(base)));
  const shuffled = mutated((j) => j.balances.reverse());
  t.equal(
    toHex(genesisHash(genesisFromJson(shuffled))),
    toHex(genesisHash(base)),
    'balances in another order: same hash',
  );
  const lowerCase = mutated((j) =>
    j.beaconCommittee.forEach((m: any) => (m.ethAddress = m.ethAddress.toLowerCase())),
  );
  t.equal(
    toHex(genesisHash(genesisFromJson(lowerCase))),
    toHex(genesisHash(base)),
    'address case does not matter',
  );
  const oneMore = mutated(
    (j) => (j.beaconCommittee[0].stake = (BigInt(j.beaconCommittee[0].stake) + 1n).toString()),
  );
  t.not(
    toHex(genesisHash(genesisFromJson(oneMore))),
    toHex(genesisHash(base)),
    'any change changes the hash',
  );
  // Canonical decoding refuses other versions and unsorted balances.
  const wrongVersion = new Uint8Array(bytes);
  t.equal(wrongVersion[1], 1, 'the version follows the array header');
  wrongVersion[1] = 2;
  t.equal(
    codeOf(() => decodeGenesis(wrongVersion)),
    'VERSION',
  );
  t.equal(
    codeOf(() => decodeGenesis(bytes.subarray(0, 50))),
    'MALFORMED',
  );
});

t.test('property: created genesis files round-trip to the same hash', async (t) => {
  fc.assert(
    fc.property(
      fc.uniqueArray(
        fc.record({
          address: fc.uint8Array({ minLength: 20, maxLength: 20 }),
          amount: fc.bigInt({ min: 1n, max: 1n << 100n }),
        }),
        {
          maxLength: 20,
          selector: (f) => toHex(f.address),
        },
      ),
      fc.integer({ min: 1, max: 2 }),
      (funds, shardCount) => {
        const g = createGenesis({
          chainId: 5,
          ethereumChainId: 1,
          shardCount,
          validators,
          funds,
          genesisTime: 0,
        });
        const again = parseGenesisJson(JSON.stringify(genesisToJson(g)));
        return (
          equalBytes(genesisHash(again), genesisHash(g)) &&
          equalBytes(genesisHash(decodeGenesis(encodeGenesis(g))), genesisHash(g))
        );
      },
    ),
    { numRuns: 40 },
  );
});

t.test('create: clear errors and committee sizes', async (t) => {
  t.equal(
    codeOf(() =>
      createGenesis({ chainId: 1, ethereumChainId: 1, shardCount: 1, validators: validators.slice(0, 3) }),
    ),
    'NOT_ENOUGH_VALIDATORS',
  );
  t.equal(
    codeOf(() =>
      createGenesis({ chainId: 1, ethereumChainId: 1, shardCount: 1, validators, shardCommitteeSize: 9 }),
    ),
    'NOT_ENOUGH_VALIDATORS',
  );
  const overlap = createGenesis({
    chainId: 1,
    ethereumChainId: 1,
    shardCount: 3,
    validators: validators.slice(0, 4),
  });
  t.same(
    overlap.shardCommittees.map((c) => c.length),
    [4, 4, 4],
    'fewer validators than 4 per shard: committees overlap',
  );
  const merged = createGenesis({
    chainId: 1,
    ethereumChainId: 1,
    shardCount: 1,
    validators,
    funds: [
      { address: accounts[0]!, amount: 5n },
      { address: accounts[0]!, amount: 6n },
    ],
  });
  t.equal(merged.balances[0]!.amount, 11n, 'funds of one account add up');
  t.equal(
    codeOf(() => createGenesis({ chainId: 1, ethereumChainId: 1, shardCount: 1, validators, stake: 0n })),
    'ZERO_STAKE',
  );
});
