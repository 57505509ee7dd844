/**
 * Browser stand-in for node's global `Buffer` in the page bundle (esbuild injects it), with just
 * what the pattern oracle (contract/src/pattern.ts) calls: `Buffer.from(arrayBuffer, offset, length)`
 * (a view, no copy), `copy` and ranged `compare`, with node's semantics. Written here rather than
 * taken from the `buffer` package because that one copies the whole target on every ranged
 * compare, which would copy the 1 MiB pattern table once per checked chunk; this compare reads
 * four bytes at a time.
 */
export class Buffer extends Uint8Array {
  /** A view of `buffer` (node: Buffer.from(arrayBuffer, byteOffset, length)); only that form is supported. */
  static override from(buffer: unknown, byteOffset?: unknown, length?: unknown): Buffer {
    if (Object.prototype.toString.call(buffer) !== '[object ArrayBuffer]') throw new TypeError('this Buffer stand-in only supports Buffer.from(arrayBuffer, byteOffset, length)');
    const ab = buffer as ArrayBuffer;
    const off = (byteOffset as number | undefined) ?? 0;
    return new Buffer(ab, off, (length as number | undefined) ?? ab.byteLength - off);
  }

  /** Copy this[sourceStart, sourceEnd) into target at targetStart (clamped to target's end); returns the bytes copied. */
  copy(target: Uint8Array, targetStart = 0, sourceStart = 0, sourceEnd = this.length): number {
    const n = Math.max(0, Math.min(sourceEnd - sourceStart, target.length - targetStart));
    // node copies nothing and returns 0 when targetStart is past the target; set() would throw.
    if (n > 0) target.set(this.subarray(sourceStart, sourceStart + n), targetStart);
    return n;
  }

  /** Compare this[sourceStart, sourceEnd) with target[targetStart, targetEnd): -1, 0 or 1, as node does. */
  compare(target: Uint8Array, targetStart = 0, targetEnd = target.length, sourceStart = 0, sourceEnd = this.length): number {
    if (targetStart < 0 || targetEnd > target.length || sourceStart < 0 || sourceEnd > this.length) throw new RangeError('out of range index');
    const x = sourceEnd - sourceStart;
    const y = targetEnd - targetStart;
    const n = Math.max(0, Math.min(x, y));
    const i = firstDifference(this.subarray(sourceStart, sourceStart + n), target.subarray(targetStart, targetStart + n));
    if (i >= 0) return this[sourceStart + i]! < target[targetStart + i]! ? -1 : 1;
    return x < y ? -1 : x > y ? 1 : 0;
  }
}

/** Is this platform little-endian (what Int32Array reads)? DataView is told the same. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Index of the first byte where two equally long arrays differ, or -1. Four bytes at a time:
 * `a` through an Int32Array from its first 4-aligned byte, `b` through a DataView (unaligned
 * reads), about 4x a byte loop in V8 whatever the two alignments are.
 */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = a.length;
  let i = 0;
  for (; i < n && (a.byteOffset + i) & 3; i++) if (a[i] !== b[i]) return i;
  if (i === n) return -1;
  const words = (n - i) >>> 2;
  const aw = new Int32Array(a.buffer, a.byteOffset + i, words);
  const bv = new DataView(b.buffer, b.byteOffset + i, words * 4);
  let w = 0;
  for (; w < words; w++) if (aw[w] !== bv.getInt32(w * 4, LITTLE_ENDIAN)) break;
  for (i += w * 4; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}
