/**
 * The deterministic simulator of the consensus engine (docs/simulator.md):
 * seeded scenarios in virtual time over a simulated network, with crashes,
 * Byzantine behaviours and Twins, checked for safety and liveness.
 */
export { runSweep, type SweepResult, type FailingScenario, type SweepHooks } from './sweep.js';
export { runScenario, type ScenarioResult, type FaultBehaviour } from './scenario.js';
export {
  resolveOptions,
  expectsViolations,
  DEFAULT_OPTIONS,
  DEFAULT_TIMING,
  BEHAVIOURS,
  MUTATIONS,
  type SimOptions,
  type SimTiming,
  type Behaviour,
  type MutationName,
} from './options.js';
export {
  checkSafety,
  checkLiveness,
  type SafetyViolation,
  type LivenessFailure,
  type NodeHistory,
  type CertificateVerifier,
} from './checker.js';
export { certificateVerifier } from './certificate.js';
export { Prng, scenarioSeed } from './prng.js';
export { TestScheme, Ed25519Scheme, simScheme, type SchemeName, type SimKey } from './schemes.js';
export { SimError, type SimErrorCode } from './errors.js';
