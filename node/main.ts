/**
 * The validator as an OS process (`hotshard node start`): JSON log lines on
 * stdout and nothing else, a clean stop on SIGINT/SIGTERM (engine, network,
 * RPC, then the database last) with exit code 0.
 */
import '../core/polyfill.js';
import { applyOverrides, loadNodeConfig, type NodeConfigOverrides } from './config.js';
import { createLogger } from './logger.js';
import { MetricsRegistry } from './metrics/registry.js';
import { Validator } from './validator.js';

const stdoutSink = (line: string): void => {
  process.stdout.write(line + '\n');
};

/**
 * Loads the configuration, starts a validator and runs until a signal.
 * Resolves to the exit code; throws (before anything listens) a typed error
 * that says what to fix.
 */
export async function runNodeProcess(configFile: string, overrides: NodeConfigOverrides): Promise<number> {
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
