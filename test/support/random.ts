/**
 * The seeded generator behind every synthetic fixture and generated set: mulberry32 (small,
 * fast, good enough for test data). The same seed gives the same sequence everywhere.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed of a randomised test: the environment variable `name` when set (to replay a failure),
 * else a fresh one. The caller prints it, so a failing run names the seed that replays it.
 */
export function seedFromEnv(name: string): number {
  const given = process.env[name];
  if (given !== undefined && given !== '') {
    const n = Number(given);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
      throw new Error(`${name} must be an integer in [0, 2^32)`);
    return n;
  }
  return Math.floor(Math.random() * 0x100000000);
}

/**
 * A deterministic synthetic face embedding (no face data): a 32-bit LCG from `seed`, values in
 * [-0.25, 0.25); two seeds give vectors far apart.
 */
export function syntheticEmbedding(seed: number, dimension = 128): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    out[i] = (state / 2 ** 32 - 0.5) / 2;
  }
  return out;
}
