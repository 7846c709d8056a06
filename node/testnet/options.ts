/** Options of a local testnet, with their defaults and why. */
import type { NodeTuning } from '../config.js';
import type { LogLevel } from '../logger.js';
import type { Funding } from '../../genesis/create.js';

export interface TestnetOptions {
  /** The testnet directory (created, or resumed when it holds a testnet). */
  readonly dir: string;
  /** Validators per shard: 4 is the smallest committee that tolerates one fault (DESIGN.md Defaults). */
  readonly validatorsPerShard?: number;
  readonly shards?: number;
  /** Funded test accounts whose key files are written into the directory. */
  readonly accounts?: number;
  /** Native balance of each test account. */
  readonly accountBalance?: bigint;
  /** More funded addresses whose keys the caller keeps (the benchmark's senders). */
  readonly extraFunds?: readonly Funding[];
  readonly chainId?: number;
  readonly ethereumChainId?: number;
  /** The address validators listen on; only 127.0.0.1 unless you mean to expose them. */
  readonly host?: string;
  readonly logLevel?: LogLevel;
  /** Node tuning written into every config.json (node/config.ts). */
  readonly tuning?: Partial<NodeTuning>;
  /** Extra arguments for the node runtime of each validator (e.g. --cpu-prof), after VALIDATOR_NODE_ARGS. */
  readonly nodeArgs?: readonly string[];
  /** Extra environment for each validator process. */
  readonly env?: NodeJS.ProcessEnv;
  /** How long each validator may take to answer hs_status after it is spawned. */
  readonly readyTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL. */
  readonly stopGraceMs?: number;
}

export const TESTNET_DEFAULTS = {
  validatorsPerShard: 4,
  shards: 1,
  accounts: 4,
  /** Enough for millions of transfers at the minimum fee. */
  accountBalance: 1_000_000_000_000_000n,
  /** An id no public network uses; the testnet's signatures are valid nowhere else. */
  chainId: 31_338,
  /** anvil's default chain id, so that the bridge can run against a local anvil. */
  ethereumChainId: 31_337,
  host: '127.0.0.1',
  logLevel: 'info' as LogLevel,
} as const;

/** Options fixed when the directory was created; a resumed testnet keeps them. */
export interface TestnetPlan {
  readonly version: 1;
  readonly validatorsPerShard: number;
  readonly shards: number;
  readonly accounts: number;
  readonly accountBalance: string;
  readonly chainId: number;
  readonly ethereumChainId: number;
  readonly createdAt: string;
}

/**
 * The young generation a testnet gives each validator: semi-spaces of 24 MB
 * instead of V8's 16. A validator allocates about 25 KB per transfer it
 * handles, and the transfers in flight live for seconds, so every scavenge
 * copies them; a larger young generation scavenges less often. Measured with
 * `hotshard bench --saturation`, alternating, together with the heap growth
 * of node/main.ts: ratio 0.404-0.413 against 0.365-0.387, for about 15 MB
 * more peak RSS (docs/node.md, Memory). Like the flag below, it is a
 * start-up flag of V8, so it goes on the command line; an operator starting
 * `hotshard node start` directly can set both through NODE_OPTIONS.
 */
const YOUNG_GENERATION = '--max-semi-space-size=24';

/**
 * Half of TurboFan's budget for inlining into one optimized function (V8's
 * default is 920 bytes of bytecode). Under load TurboFan recompiles the
 * largest functions (block building, the commit, the state tree's update)
 * after each deoptimization a new object shape causes, at 80-125 ms each on
 * a compiler thread: 5.8% of the validators' CPU at saturation, 6.9% at half
 * rate. Smaller compilation units cost less to recompile. Measured with
 * `hotshard bench`, three alternating pairs: sustained TPS 2,568-2,752
 * against 2,409-2,483, CPU per transfer 5-7% lower in both phases, the same
 * latency at a fixed rate (docs/benchmark.md, Eighth session).
 */
const INLINING_BUDGET = '--max-inlined-bytecode-size-cumulative=460';

const VALIDATOR_V8_DEFAULTS: readonly string[] = [YOUNG_GENERATION, INLINING_BUDGET];

/**
 * Node flags for every validator process of a testnet: the defaults above,
 * then HOTSHARD_VALIDATOR_NODE_ARGS (space-separated), a way to measure
 * other V8 settings with `hotshard bench` without a rebuild (a flag given
 * twice takes its last value). The validator sets its own heap growth at
 * start-up (node/main.ts).
 */
export const VALIDATOR_NODE_ARGS: readonly string[] = [
  ...VALIDATOR_V8_DEFAULTS,
  ...(process.env.HOTSHARD_VALIDATOR_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
];

/**
 * Verification threads per validator when `validators` processes share
 * `cores`: the cores left over once each validator has one for its main
 * thread, shared out (0: the main-thread verifier). Measured with
 * `hotshard bench` on 2 cores and 4 validators: a pool of 2 threads per
 * validator cost 12% more CPU per transfer than the main thread (1.18 against
 * 1.03 ms), since every core is already busy with a validator and a pool only
 * adds the hand-off. A validator alone on its machine (`hotshard node start`)
 * keeps the node's default, one thread per core.
 */
export function testnetVerifierThreads(cores: number, validators: number): number {
  return Math.max(0, Math.floor(cores / Math.max(1, validators)) - 1);
}
