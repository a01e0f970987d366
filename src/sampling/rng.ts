/**
 * Rng — a seeded uniform source, one per request so every generation replays from its seed.
 *
 * xoshiro128** (Blackman & Vigna 2018, "Scrambled linear pseudorandom number generators"),
 * seeded through SplitMix32 so that nearby seeds give unrelated streams.
 */
export interface Rng {
  /** The seed this stream was created from (reported back to the caller). */
  readonly seed: number;
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
}

/** Largest seed accepted: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffffffff;

/** A new stream for `seed` (an integer in [0, 2^32)). */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  }
  let x = seed >>> 0;
  const splitmix = (): number => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const s = new Uint32Array([splitmix(), splitmix(), splitmix(), splitmix()]);
  const rotl = (v: number, k: number): number => (v << k) | (v >>> (32 - k));
  return {
    seed,
    next(): number {
      const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
      const t = s[1]! << 9;
      s[2]! ^= s[0]!;
      s[3]! ^= s[1]!;
      s[1]! ^= s[2]!;
      s[0]! ^= s[3]!;
      s[2]! ^= t;
      s[3] = rotl(s[3]!, 11);
      return result / 4294967296;
    },
  };
}
