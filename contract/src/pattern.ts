/**
 * The integrity oracle's pattern. Every byte of a stream is a pure function of (seed, offset):
 *
 *   byte(seed, o) = T_seed[o mod P],  P = 1,048,573 (prime)
 *
 * where T_seed is P pseudo-random bytes made from the seed (xorshift128+ state seeded by
 * splitmix32 of the seed). Either side can make or check any block on its own, and a mismatch
 * names its stream offset. Because P is prime, it shares no factor with packet or transfer
 * sizes (powers of two): a lost, duplicated or reordered chunk shifts the data by an amount that
 * is not a multiple of P unless the chunk is at least P * 512 bytes (512 MiB) long, and byte
 * counts are compared as well. Filling and checking are Buffer.copy and Buffer.compare over
 * the table (memcpy/memcmp), several GB/s per core in plain TypeScript, on any host.
 */
export const PATTERN_PERIOD = 1_048_573;

const tables = new Map<number, Buffer>();
const MAX_TABLES = 8;

/** The pattern table of a seed (cached; 1 MiB each, the 8 most recent seeds). */
export function patternTable(seed: number): Buffer {
  const s = seed >>> 0;
  let t = tables.get(s);
  if (t) return t;
  t = makeTable(s);
  if (tables.size >= MAX_TABLES) tables.delete(tables.keys().next().value as number);
  tables.set(s, t);
  return t;
}

function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function makeTable(seed: number): Buffer {
  // xorshift128 on four 32-bit words: fast in JS and plenty random for a test pattern.
  let a = splitmix32(seed) | 1;
  let b = splitmix32(a ^ 0x68e31da4);
  let c = splitmix32(b ^ 0xb5297a4d);
  let d = splitmix32(c ^ 0x1b56c4e9);
  const words = Math.ceil(PATTERN_PERIOD / 4);
  const u32 = new Uint32Array(words);
  for (let i = 0; i < words; i++) {
    const t = a ^ (a << 11);
    a = b;
    b = c;
    c = d;
    d = (d ^ (d >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    u32[i] = d;
  }
  return Buffer.from(u32.buffer, 0, PATTERN_PERIOD);
}

/** Fill `buf` with the pattern bytes of stream offsets [offset, offset + buf.length). */
export function fillPattern(buf: Uint8Array, seed: number, offset: number): void {
  const t = patternTable(seed);
  const out = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = offset % PATTERN_PERIOD;
  let i = 0;
  while (i < out.length) {
    const n = Math.min(PATTERN_PERIOD - pos, out.length - i);
    t.copy(out, i, pos, pos + n);
    i += n;
    pos = 0;
  }
}

/** Index (into `buf`) of the first byte that differs from the pattern, or -1 when all match. */
export function verifyPattern(buf: Uint8Array, seed: number, offset: number): number {
  const t = patternTable(seed);
  const got = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = offset % PATTERN_PERIOD;
  let i = 0;
  while (i < got.length) {
    const n = Math.min(PATTERN_PERIOD - pos, got.length - i);
    if (got.compare(t, pos, pos + n, i, i + n) !== 0) {
      for (let k = 0; k < n; k++) if (got[i + k] !== t[pos + k]) return i + k;
    }
    i += n;
    pos = 0;
  }
  return -1;
}

/** The expected byte at one stream offset (for messages). */
export function patternByte(seed: number, offset: number): number {
  return patternTable(seed)[offset % PATTERN_PERIOD]!;
}
