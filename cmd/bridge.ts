/**
 * `hotshard bridge`: deploy the bridge contract for a genesis, deposit, withdraw, follow a withdrawal,
 * relay and sign checkpoints, and inspect the contract (docs/bridge.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { getAddress, isAddress, isHex, zeroAddress, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { UsageError, type Command } from './command.js';

const KEY_HELP = `Transactions are signed with the Ethereum key in --key-file FILE (0x + 64 hex digits),
or in the environment variable HOTSHARD_L1_KEY.`;

const HELP = `Usage: hotshard bridge <subcommand> [options]

Subcommands:
  deploy     Deploy the bridge contract for a genesis and write bridge.json
  deposit    Lock ETH or an ERC-20 on Ethereum for a sidechain address
  withdraw   Pay a withdrawal on Ethereum with its Merkle proof
  status     Where a withdrawal stands: not yet checkpointed, in its delay, provable, paid
  relay      Submit a checkpoint with its committee's signatures (idempotent)
  sign       Sign a checkpoint with a validator's bridge key (EIP-712)
  info       The contract's state: checkpoints, deposits, pauses, locked balances
  compile    Compile bridge/contracts with solc-js into bridge/build/

deploy:
  hotshard bridge deploy --l1-rpc URL --genesis FILE [--out FILE] [--default-limit N]
  hotshard bridge deploy --l1-rpc URL --committee FILE --sidechain-chain-id N --genesis-hash HEX
                         [--guardian ADDR] [--testnet] [--withdrawal-delay S] [--pause-timelock S]
                         [--limit-period S] [--limit TOKEN=AMOUNT]... [--default-limit N] [--out FILE]
    With --genesis, the beacon committee (bridge addresses and stakes), the genesis hash, the chain id
    and the bridge parameters come from the genesis; the L1 must be the Ethereum chain it names.
    A committee file is {"members": [{"address": "0x..", "stake": "1000"}, ...]}; its timing defaults
    to production (6 h delay, 7 d timelock, 1 d periods) or, with --testnet, 60 s / 600 s / 1 h.
    --default-limit is the limit per period of every asset without its own limit (0: not accepted).
    Writes {address, l1Rpc, chainId, deployBlock, genesisHash, ...} to --out (default: bridge.json
    next to the genesis or committee file).

deposit:   hotshard bridge deposit --config bridge.json --to SIDECHAIN_ADDRESS --amount N [--token ADDR]
    N is in the asset's base units (wei for ETH). An ERC-20 is approved first when needed.
withdraw:  hotshard bridge withdraw --config bridge.json --proof FILE [--root HEX]
    FILE is {"withdrawal": {"id", "recipient", "token", "amount"}, "index", "size", "proof": [...]};
    without --root, the root of an accepted checkpoint with "size" withdrawals is used.
status:    hotshard bridge status --config bridge.json --id N [--index I]   (index defaults to the id)
relay:     hotshard bridge relay --config bridge.json --submission FILE
    FILE is {"checkpoint": {...}, "committee": {"members": [...]}, "signatures": [{"signer", "signature"}]}.
sign:      hotshard bridge sign --config bridge.json --checkpoint FILE --validator-key FILE
    Prints {"signer", "signature"} for the checkpoint in FILE.
info:      hotshard bridge info --config bridge.json [--token ADDR]...

Common options:
  --config FILE    the bridge.json written by deploy (default: ./bridge.json)
  --l1-rpc URL     the Ethereum JSON-RPC endpoint (default: the one in bridge.json)
  --key-file FILE  the Ethereum key that signs transactions
  --json           print JSON
  -h, --help       this text

${KEY_HELP}`;

const OPTIONS = {
  'l1-rpc': { type: 'string' },
  genesis: { type: 'string' },
  committee: { type: 'string' },
  'sidechain-chain-id': { type: 'string' },
  'genesis-hash': { type: 'string' },
  guardian: { type: 'string' },
  testnet: { type: 'boolean' },
  'withdrawal-delay': { type: 'string' },
  'pause-timelock': { type: 'string' },
  'limit-period': { type: 'string' },
  limit: { type: 'string', multiple: true },
  'default-limit': { type: 'string' },
  out: { type: 'string' },
  config: { type: 'string' },
  'key-file': { type: 'string' },
  to: { type: 'string' },
  amount: { type: 'string' },
  token: { type: 'string', multiple: true },
  proof: { type: 'string' },
  root: { type: 'string' },
  id: { type: 'string' },
  index: { type: 'string' },
  submission: { type: 'string' },
  checkpoint: { type: 'string' },
  'validator-key': { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
}

function json(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2);
}

function integer(v: string | undefined, flag: string, dflt?: bigint): bigint {
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    throw new UsageError(`--${flag} is required`);
  }
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`--${flag} must be a non-negative integer, got "${v}"`);
  return BigInt(v);
}

function address(v: string | undefined, flag: string): Address {
  if (v === undefined) throw new UsageError(`--${flag} is required`);
  if (!isAddress(v, { strict: false }))
    throw new UsageError(`--${flag} must be an Ethereum address (0x + 40 hex digits), got "${v}"`);
  return getAddress(v);
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

function l1Key(values: Values): Hex {
  const text =
    values['key-file'] !== undefined ? readFileSync(values['key-file'], 'utf8') : process.env.HOTSHARD_L1_KEY;
  if (text === undefined) throw new UsageError(`this needs an Ethereum key. ${KEY_HELP}`);
  const key = text.trim();
  if (!isHex(key) || key.length !== 66)
    throw new UsageError('the Ethereum key must be 0x followed by 64 hex digits');
  return key as Hex;
}

async function openBridge(values: Values, withKey: boolean) {
  const { readNetworkConfig } = await import('../bridge/deploy.js');
  const { connectL1 } = await import('../bridge/l1.js');
  const { BridgeContract } = await import('../bridge/contract.js');
  const { BridgeClient } = await import('../bridge/client.js');
  const path = values.config ?? 'bridge.json';
  if (!existsSync(path))
    throw new UsageError(
      `no bridge configuration at ${path}: give --config, or run \`hotshard bridge deploy\` first`,
    );
  const config = readNetworkConfig(path);
  const l1 = await connectL1(values['l1-rpc'] ?? config.l1Rpc, withKey ? { privateKey: l1Key(values) } : {});
  if (l1.chain.id !== config.chainId) {
    throw new UsageError(
      `${path} is for Ethereum chain ${config.chainId}, but ${l1.rpcUrl} is chain ${l1.chain.id}`,
    );
  }
  const bridge = await BridgeContract.at(l1, config.address);
  return { config, l1, bridge, client: new BridgeClient(bridge, config.deployBlock) };
}

async function deploy(values: Values): Promise<number> {
  const rpc = values['l1-rpc'];
  if (rpc === undefined) throw new UsageError('deploy needs --l1-rpc URL (the Ethereum JSON-RPC endpoint)');
  if ((values.genesis === undefined) === (values.committee === undefined)) {
    throw new UsageError('deploy needs exactly one of --genesis FILE or --committee FILE');
  }
  const { connectL1 } = await import('../bridge/l1.js');
  const { deployBridge, writeNetworkConfig, TESTNET_TIMING, PRODUCTION_TIMING } =
    await import('../bridge/deploy.js');
  const { setupFromGenesis, readCommitteeFile } = await import('../bridge/setup.js');
  const l1 = await connectL1(rpc, { privateKey: l1Key(values) });
  const defaultLimit = integer(values['default-limit'], 'default-limit', 0n);

  let setup;
  let source: string;
  if (values.genesis !== undefined) {
    for (const flag of [
      'sidechain-chain-id',
      'genesis-hash',
      'guardian',
      'withdrawal-delay',
      'pause-timelock',
      'limit-period',
      'limit',
      'testnet',
    ] as const) {
      if (values[flag] !== undefined)
        throw new UsageError(`--${flag} comes from the genesis; drop it (or deploy with --committee)`);
    }
    const { readGenesisFile } = await import('../genesis/json.js');
    source = values.genesis;
    setup = setupFromGenesis(readGenesisFile(source), defaultLimit);
    if (setup.ethereumChainId !== l1.chain.id) {
      throw new UsageError(
        `the genesis names Ethereum chain ${setup.ethereumChainId}, but ${rpc} is chain ${l1.chain.id}`,
      );
    }
  } else {
    source = values.committee!;
    const committee = readCommitteeFile(source);
    const genesisHash = values['genesis-hash'];
    if (genesisHash === undefined || !isHex(genesisHash) || genesisHash.length !== 66) {
      throw new UsageError(
        'with --committee, give --genesis-hash 0x + 64 hex digits (the hash the contract records)',
      );
    }
    const timing = values.testnet === true ? TESTNET_TIMING : PRODUCTION_TIMING;
    const limits = (values.limit ?? []).map((l) => {
      const [token, amount] = l.split('=');
      return { token: address(token, 'limit TOKEN'), limit: integer(amount, 'limit AMOUNT') };
    });
    const sidechainChainId = integer(values['sidechain-chain-id'], 'sidechain-chain-id');
    setup = {
      committee,
      genesisHash: genesisHash as Hex,
      sidechainChainId,
      ethereumChainId: l1.chain.id,
      params: {
        sidechainChainId,
        genesisHash: genesisHash as Hex,
        guardian:
          values.guardian === undefined
            ? l1.account!.address
            : values.guardian === '0'
              ? zeroAddress
              : address(values.guardian, 'guardian'),
        withdrawalDelay: integer(values['withdrawal-delay'], 'withdrawal-delay', timing.withdrawalDelay),
        pauseTimelock: integer(values['pause-timelock'], 'pause-timelock', timing.pauseTimelock),
        limitPeriod: integer(values['limit-period'], 'limit-period', timing.limitPeriod),
        defaultLimit,
        limits,
      },
    };
  }
  const d = await deployBridge(l1, setup.committee, setup.params);
  const out = values.out ?? join(dirname(resolve(source)), 'bridge.json');
  const config = {
    address: d.contract.address,
    l1Rpc: rpc,
    chainId: l1.chain.id,
    deployBlock: d.deployBlock,
    genesisHash: setup.genesisHash,
    sidechainChainId: setup.sidechainChainId,
    committeeHash: setup.committee.hash,
  };
  writeNetworkConfig(out, config);
  if (values.json === true)
    console.log(json({ ...config, config: out, gasUsed: d.gasUsed, transactionHash: d.transactionHash }));
  else {
    console.log(
      `bridge deployed at ${d.contract.address} on chain ${l1.chain.id} (block ${d.deployBlock}, ${d.gasUsed} gas)`,
    );
    console.log(
      `  beacon committee: ${setup.committee.members.length} members, stake ${setup.committee.totalStake}, hash ${setup.committee.hash}`,
    );
    console.log(`  genesis hash ${setup.genesisHash}, sidechain chain id ${setup.sidechainChainId}`);
    console.log(
      `  withdrawal delay ${setup.params.withdrawalDelay} s, guardian timelock ${setup.params.pauseTimelock} s, limit period ${setup.params.limitPeriod} s`,
    );
    if (setup.params.limits.length === 0 && defaultLimit === 0n)
      console.log(
        '  warning: no asset has a limit, so every deposit will be refused; give limits in the genesis or --default-limit',
      );
    console.log(`wrote ${out}`);
  }
  return 0;
}

async function deposit(values: Values): Promise<number> {
  const to = values.to;
  if (to === undefined || !isHex(to) || to.length !== 42)
    throw new UsageError('--to must be a sidechain address: 0x + 40 hex digits');
  const amount = integer(values.amount, 'amount');
  if (amount === 0n) throw new UsageError('--amount must be positive');
  const tokens = values.token ?? [];
  if (tokens.length > 1) throw new UsageError('give at most one --token');
  const { client } = await openBridge(values, true);
  const r =
    tokens.length === 0
      ? await client.depositEth(to as Hex, amount)
      : await client.depositErc20(address(tokens[0], 'token'), amount, to as Hex);
  if (values.json === true) console.log(json(r));
  else
    console.log(
      `deposit ${r.nonce}: ${r.amount} credited to ${to} (h = ${r.depositHash}, tx ${r.transactionHash}, ${r.gasUsed} gas)`,
    );
  return 0;
}

async function withdraw(values: Values): Promise<number> {
  if (values.proof === undefined) throw new UsageError('withdraw needs --proof FILE');
  const p = readJson(values.proof, 'the proof') as {
    withdrawal?: { id?: unknown; recipient?: unknown; token?: unknown; amount?: unknown };
    index?: unknown;
    size?: unknown;
    proof?: unknown;
    root?: unknown;
  };
  const w = p.withdrawal;
  if (
    w === undefined ||
    !Array.isArray(p.proof) ||
    typeof p.index !== 'number' ||
    typeof p.size !== 'number'
  ) {
    throw new UsageError(
      `${values.proof}: expected {"withdrawal": {...}, "index": N, "size": N, "proof": ["0x..", ...]}`,
    );
  }
  const proof = {
    withdrawal: {
      id: integer(String(w.id), 'withdrawal.id'),
      recipient: address(String(w.recipient), 'withdrawal.recipient'),
      token: address(String(w.token), 'withdrawal.token'),
      amount: integer(String(w.amount), 'withdrawal.amount'),
    },
    index: p.index,
    size: p.size,
    proof: p.proof as Hex[],
  };
  const { client } = await openBridge(values, true);
  let root = (values.root ?? p.root) as Hex | undefined;
  if (root === undefined) {
    const match = (await client.acceptedCheckpoints()).find((c) => c.withdrawalsCount === BigInt(proof.size));
    if (match === undefined)
      throw new UsageError(
        `no accepted checkpoint has ${proof.size} withdrawals yet: wait for it, or give --root`,
      );
    root = match.withdrawalsRoot;
  }
  const r = await client.withdraw(root, proof);
  if (values.json === true) console.log(json({ ...r, root }));
  else
    console.log(
      `withdrawal ${proof.withdrawal.id} paid to ${proof.withdrawal.recipient} (tx ${r.transactionHash}, ${r.gasUsed} gas)`,
    );
  return 0;
}

async function status(values: Values): Promise<number> {
  const id = integer(values.id, 'id');
  const index = integer(values.index, 'index', id);
  const { client } = await openBridge(values, false);
  const s = await client.status(id, Number(index));
  if (values.json === true) console.log(json({ id, index, ...s }));
  else {
    const extra =
      s.state === 'in its delay'
        ? ` until ${new Date(Number(s.readyAt) * 1000).toISOString()} (root ${s.root})`
        : s.state === 'provable'
          ? ` against root ${s.root} (checkpoint ${s.sequence}, ${s.size} withdrawals)`
          : '';
    console.log(
      `withdrawal ${id}: ${s.state}${extra}${s.frozen ? ' - the bridge is frozen' : s.paused ? ' - the bridge is paused' : ''}`,
    );
  }
  return 0;
}

async function relay(values: Values): Promise<number> {
  if (values.submission === undefined) throw new UsageError('relay needs --submission FILE');
  const f = readJson(values.submission, 'the submission') as {
    checkpoint?: unknown;
    committee?: unknown;
    signatures?: unknown;
  };
  const { checkpointFromJson } = await import('../bridge/checkpoint.js');
  const { makeCommittee } = await import('../bridge/committee.js');
  const { Relayer } = await import('../bridge/relayer.js');
  const members = (f.committee as { members?: { address: string; stake: string }[] } | undefined)?.members;
  if (!Array.isArray(members) || !Array.isArray(f.signatures)) {
    throw new UsageError(
      `${values.submission}: expected {"checkpoint": {...}, "committee": {"members": [...]}, "signatures": [...]}`,
    );
  }
  const committee = makeCommittee(
    members.map((m) => ({ address: m.address, stake: integer(String(m.stake), 'committee stake') })),
  );
  const { bridge } = await openBridge(values, true);
  const r = await new Relayer(bridge).relaySignatures(
    committee,
    checkpointFromJson(f.checkpoint),
    f.signatures as { signer: Address; signature: Hex }[],
  );
  if (values.json === true) console.log(json(r));
  else
    console.log(
      `checkpoint: ${r.outcome}${r.transactionHash ? ` (tx ${r.transactionHash}, ${r.gasUsed} gas)` : ''}`,
    );
  return r.outcome === 'froze' ? 1 : 0;
}

async function sign(values: Values): Promise<number> {
  if (values.checkpoint === undefined || values['validator-key'] === undefined) {
    throw new UsageError('sign needs --checkpoint FILE and --validator-key FILE');
  }
  const { checkpointFromJson } = await import('../bridge/checkpoint.js');
  const { CheckpointSigner } = await import('../bridge/signatures.js');
  const { readKeyFile } = await import('../genesis/keyfile.js');
  const { toHex } = await import('../core/bytes.js');
  const keys = readKeyFile(values['validator-key']);
  const { bridge } = await openBridge(values, false);
  const cpJson = readJson(values.checkpoint, 'the checkpoint') as { checkpoint?: unknown };
  const cp = checkpointFromJson(cpJson.checkpoint ?? cpJson);
  const secret = `0x${toHex(keys.secp256k1.secret)}` as Hex;
  const s = await new CheckpointSigner(secret, bridge.domain).sign(cp);
  if (privateKeyToAccount(secret).address !== s.signer)
    throw new UsageError('the key file does not match its own address');
  console.log(json(s));
  return 0;
}

async function info(values: Values): Promise<number> {
  const { bridge, config } = await openBridge(values, false);
  const { ETH } = await import('../bridge/contract.js');
  const [state, committeeHash, imm] = await Promise.all([
    bridge.state(),
    bridge.committeeHash(),
    bridge.immutables(),
  ]);
  const assets = [ETH, ...(values.token ?? []).map((t) => address(t, 'token'))];
  const locked = await Promise.all(
    assets.map(async (a) => ({
      asset: a,
      locked: await bridge.lockedBalance(a),
      limit: await bridge.limitOf(a),
      withdrawnThisPeriod: await bridge.withdrawnThisPeriod(a),
    })),
  );
  const out = {
    address: config.address,
    chainId: config.chainId,
    ...imm,
    committeeHash,
    state,
    assets: locked,
  };
  if (values.json === true) console.log(json(out));
  else {
    console.log(
      `bridge ${config.address} on chain ${config.chainId}, sidechain ${imm.sidechainChainId}, genesis ${imm.genesisHash}`,
    );
    console.log(
      `  checkpoints: latest sequence ${state.latestSequence}, epoch ${state.latestEpoch}; committee ${committeeHash}`,
    );
    console.log(
      `  deposits: ${state.depositCount}; ${state.frozen ? 'FROZEN' : state.pauseFlags === 0 ? 'open' : `paused (flags ${state.pauseFlags}) since ${state.pausedAt}`}`,
    );
    for (const a of locked)
      console.log(
        `  ${a.asset === ETH ? 'ETH' : a.asset}: locked ${a.locked}, limit ${a.limit} per ${imm.limitPeriod} s, withdrawn this period ${a.withdrawnThisPeriod}`,
      );
  }
  return 0;
}

async function compile(values: Values): Promise<number> {
  const { loadArtifacts, artifactsPath } = await import('../bridge/compile.js');
  const started = Date.now();
  const a = await loadArtifacts();
  if (values.json === true)
    console.log(
      json({
        solc: a.solcVersion,
        key: a.key,
        path: artifactsPath(),
        contracts: Object.fromEntries(Object.entries(a.contracts).map(([n, c]) => [n, c.runtimeSize])),
      }),
    );
  else console.log(`compiled with solc ${a.solcVersion} in ${Date.now() - started} ms: ${artifactsPath()}`);
  return 0;
}

const SUBCOMMANDS: Record<string, (v: Values) => Promise<number>> = {
  deploy,
  deposit,
  withdraw,
  status,
  relay,
  sign,
  info,
  compile,
};

const command: Command = {
  name: 'bridge',
  summary: 'Deploy and use the bridge to Ethereum (deploy, deposit, withdraw, status, relay)',
  help: HELP,
  async run(argv) {
    let parsed;
    try {
      parsed = parse(argv);
    } catch (err) {
      throw new UsageError(`bridge: ${(err as Error).message}. Run \`hotshard bridge --help\`.`);
    }
    const [sub, ...extra] = parsed.positionals;
    if (sub === undefined)
      throw new UsageError(
        'bridge: name a subcommand (deploy, deposit, withdraw, status, relay, sign, info, compile). Run `hotshard bridge --help`.',
      );
    const run = SUBCOMMANDS[sub];
    if (run === undefined)
      throw new UsageError(`bridge: unknown subcommand "${sub}". Run \`hotshard bridge --help\`.`);
    if (extra.length > 0) throw new UsageError(`bridge ${sub}: unexpected argument "${extra[0]}"`);
    return run(parsed.values);
  },
};

export default command;
