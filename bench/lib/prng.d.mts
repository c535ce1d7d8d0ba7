/** mulberry32 (prng.mjs): a deterministic PRNG; numbers in [0, 1). */
export function mulberry32(seed: number): () => number;
