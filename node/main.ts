/**
 * The validator as an OS process (`hotshard node start`): JSON log lines on
 * stdout and nothing else, a clean stop on SIGINT/SIGTERM (engine, network,
 * RPC, then the database last) with exit code 0.
 */
import '../core/polyfill.js';
import { setFlagsFromString } from 'node:v8';
import { applyOverrides, loadNodeConfig, type NodeConfigOverrides } from './config.js';
import { createLogger } from './logger.js';
import { MetricsRegistry } from './metrics/registry.js';
import { Validator } from './validator.js';

/**
 * Under load V8 lets the heap grow to about four times what a full
 * collection leaves alive (measured: 200 MB of heap for 50 MB live, a
 * validator at 370-410 MB RSS). Growing by at most 1.7x keeps a validator
 * near 270 MB with the larger young generation a testnet gives it
 * (node/testnet/options.ts; at 1.5x the ratio gained nothing, at 2x RSS went past
 * 300 MB: docs/node.md, Memory). V8 reads this flag at each collection, so
 * setting it at start-up is enough; an operator's own
 * NODE_OPTIONS=--heap-growing-percent=N wins.
 */
export const HEAP_GROWING_PERCENT = 70;

function limitHeapGrowth(): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(' ')].some((a) =>
    a.startsWith('--heap-growing-percent'),
  );
  if (!given) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

const stdoutSink = (line: string): void => {
  process.stdout.write(line + '\n');
};

/**
 * Loads the configuration, starts a validator and runs until a signal.
 * Resolves to the exit code; throws (before anything listens) a typed error
 * that says what to fix.
 */
export async function runNodeProcess(configFile: string, overrides: NodeConfigOverrides): Promise<number> {
  limitHeapGrowth();
  const config = applyOverrides(loadNodeConfig(configFile), overrides);
  const logger = createLogger({ level: config.logLevel, sink: stdoutSink, module: 'node' });
  let validator: Validator;
  try {
    validator = await Validator.create(config, { logger, metrics: new MetricsRegistry() });
  } catch (err) {
    logger.error('node failed to start', { err });
    throw err;
  }
  let stopping = false;
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second signal while stopping: the operator insists.
        logger.warn('second signal while stopping: exiting now', { signal });
        process.exit(1);
      }
      stopping = true;
      logger.info('stopping', { signal });
      validator.stop().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error('stop failed', { err });
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    await validator.start();
  } catch (err) {
    logger.error('node failed to start', { err });
    await validator.stop();
    throw err;
  }
  return stopped;
}
