/**
 * A small seeded PRNG for the simulator: sfc32 (Chris Doty-Humphrey's "small
 * fast chaotic" generator, as in PractRand), seeded from one 32-bit seed
 * through splitmix32. Everything random in a scenario (delays, drops,
 * partitions, faults, payload bytes) comes from one of these, so a scenario
 * replays bit for bit from its seed.
 */

/** splitmix32 step: a good 32-bit mixer, used to expand seeds and derive child seeds. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** The seed of scenario `index` of a sweep with seed `sweepSeed` (independent of every other scenario). */
export function scenarioSeed(sweepSeed: number, index: number): number {
  return mix32(mix32(sweepSeed >>> 0) ^ mix32((index + 0x51ed27) >>> 0));
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    s = mix32(s);
    this.a = s;
    s = mix32(s);
    this.b = s;
    s = mix32(s);
    this.c = s;
    this.d = 1;
    // Warm up: the first outputs of sfc32 correlate with the seed.
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.nextU32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!(n > 0)) throw new RangeError(`Prng.int needs n > 0, got ${n}`);
    return Math.floor(this.float() * n);
  }

  /** A uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Prng.pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** A new array with the items in a uniformly random order (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.nextU32();
      for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = (v >>> (8 * k)) & 0xff;
    }
    return out;
  }

  /** An independent generator derived from this one and a label (does not disturb this one's sequence). */
  fork(label: number): Prng {
    return new Prng(mix32(this.a ^ mix32(label >>> 0)) ^ this.c);
  }
}
