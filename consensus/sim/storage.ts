/**
 * Durable storage of a simulated node. A crash loses everything the node
 * held in memory; what it wrote here survives. Each engine incarnation gets a
 * handle; after a crash the old incarnation's handle is cut off, so a write
 * the dead incarnation still had in flight never lands (a process that died
 * writes nothing).
 */
import type { SafetyData, SafetyStorage } from '../types.js';

/** What survives a crash of one simulated node. */
export class DurableState {
  safety: SafetyData | null = null;
  /** Safety-data writes so far (all incarnations). */
  saves = 0;
  /** Extra durable records an engine's recovery option may keep (opaque to the simulator). */
  readonly records = new Map<string, unknown>();
}

/** The SafetyStorage of one incarnation: reads and writes `state` until `cut()` is called. */
export class IncarnationSafetyStorage implements SafetyStorage {
  private alive = true;

  constructor(private readonly state: DurableState) {}

  async load(): Promise<SafetyData | null> {
    return this.state.safety === null ? null : structuredClone(this.state.safety);
  }

  async save(data: SafetyData): Promise<void> {
    // The in-memory write is the "synced" write: it is durable the moment it
    // resolves. Writes of a crashed incarnation are dropped.
    if (!this.alive) return new Promise<void>(() => {}); // never resolves: the process is gone
    // A copy: a later in-memory change by the engine must not become durable by aliasing.
    this.state.safety = structuredClone(data);
    this.state.saves++;
  }

  cut(): void {
    this.alive = false;
  }
}
