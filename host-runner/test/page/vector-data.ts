/**
 * Deterministic test bytes, the same in node and in a browser (no node API): xorshift32 from
 * `seed`. The vectors in node-vectors.ts are computed by node over these bytes, so a page test
 * can rebuild the input and compare its own result with node's.
 */
export function vectorBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Bytes as lower-case hex (no Buffer: this runs in the page too). */
export function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
