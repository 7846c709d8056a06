/**
 * A worker thread of a parallel sweep: runs the scenarios it is given and
 * posts each result back (the sweep aggregates them in scenario order, so
 * the outcome does not depend on the number of workers).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SimOptions } from './options.js';
import { runScenario } from './scenario.js';

export interface WorkerInput {
  readonly options: SimOptions;
  readonly jobs: readonly { readonly index: number; readonly seed: number }[];
}

const port = parentPort;
if (port !== null) {
  const { options, jobs } = workerData as WorkerInput;
  let stop = false;
  port.on('message', (m: unknown) => {
    if (m === 'stop') stop = true;
  });
  for (const job of jobs) {
    if (stop) break;
    const result = await runScenario(options, job.seed);
    port.postMessage({ index: job.index, result });
  }
  port.postMessage({ done: true });
  port.close();
}
