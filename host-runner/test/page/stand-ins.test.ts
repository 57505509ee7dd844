/**
 * The page's stand-ins for node's `zlib.crc32` (crc32.ts) and `Buffer` (browser-buffer.ts)
 * against what node's own zlib and Buffer computed for the same inputs (node-vectors.ts). Runs
 * in node and, through playwright-test, in Chromium.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { crc32 } from '@ffs-lab/contract/crc32';
import { Buffer as PageBuffer } from '../../src/webusb/browser-buffer';
import { NODE_VECTORS } from './node-vectors';
import { CRC_BYTES, CRC_SEED, bufferBytes } from './vector-cases';
import { hex, vectorBytes } from './vector-data';

/** A ranged compare and copy, as node's Buffer has them. */
interface BufferLike {
  compare(target: Uint8Array, targetStart?: number, targetEnd?: number, sourceStart?: number, sourceEnd?: number): number;
  copy(target: Uint8Array, targetStart?: number, sourceStart?: number, sourceEnd?: number): number;
}

/**
 * Each check runs on the stand-in module itself and on what this realm gives the page's code:
 * `node:zlib` and the `Buffer` global (node's own in node, so there they check the vectors; the
 * stand-ins, or a deliberately broken one, in Chromium).
 */
const CRC32S: Array<[string, (data: Uint8Array, value?: number) => number]> = [
  ['crc32.ts', crc32],
  ["node:zlib's crc32 as this realm resolves it", (data, value) => zlib.crc32(data, value)],
];
const BUFFERS: Array<[string, (ab: ArrayBuffer, offset: number, length: number) => BufferLike]> = [
  ['browser-buffer.ts', (ab, offset, length) => PageBuffer.from(ab, offset, length)],
  ["the Buffer global as this realm has it", (ab, offset, length) => Buffer.from(ab, offset, length)],
];

describe('page stand-ins against node', () => {
  for (const [name, crc] of CRC32S) {
    it(`${name}: zlib.crc32's value in all ${NODE_VECTORS.crc32.length} cases (lengths around the 8-byte stride, odd offsets, chained starts)`, () => {
      assert.ok(NODE_VECTORS.crc32.length > 90, 'the vectors are there');
      const data = vectorBytes(CRC_SEED, CRC_BYTES);
      for (const c of NODE_VECTORS.crc32) assert.equal(crc(data.subarray(c.offset, c.offset + c.length), c.initial), c.crc, `offset ${c.offset}, length ${c.length}, from 0x${c.initial.toString(16)}`);
    });

    it(`${name}: "123456789" gives the CRC-32 check value, and chaining equals one pass`, () => {
      assert.equal(crc(new TextEncoder().encode('123456789')), 0xcbf43926);
      const data = vectorBytes(CRC_SEED, 10_000);
      let chained = 0;
      for (let i = 0; i < data.length; i += 999) chained = crc(data.subarray(i, i + 999), chained);
      assert.equal(chained, crc(data));
    });
  }

  for (const [name, from] of BUFFERS) {
    it(`${name}: compare gives node's result (or its RangeError) in all ${NODE_VECTORS.compare.length} ranged cases`, () => {
      const { source, target } = bufferBytes();
      for (const c of NODE_VECTORS.compare) {
        const view = from(source.buffer as ArrayBuffer, source.byteOffset + c.view[0], c.view[1]);
        let got: number | string;
        try {
          got = view.compare(target, ...c.args);
        } catch (err) {
          got = (err as Error).name;
        }
        assert.equal(got, c.result, `view ${c.view.join('+')}, compare(target, ${c.args.join(', ')})`);
      }
    });

    it(`${name}: copy copies what node copies, and returns its count, in all ${NODE_VECTORS.copy.length} cases`, () => {
      const { source } = bufferBytes();
      for (const c of NODE_VECTORS.copy) {
        const into = new Uint8Array(c.targetLength);
        const copied = from(source.buffer as ArrayBuffer, source.byteOffset + c.view[0], c.view[1]).copy(into, ...c.args);
        assert.equal(copied, c.copied, `view ${c.view.join('+')}, copy(target[${c.targetLength}], ${c.args.join(', ')})`);
        assert.equal(hex(into), c.target, `view ${c.view.join('+')}, copy(target[${c.targetLength}], ${c.args.join(', ')}): the target`);
      }
    });
  }

  it('browser-buffer.ts: Buffer.from(arrayBuffer, offset, length) is a view, not a copy', () => {
    const ab = new ArrayBuffer(16);
    const b = PageBuffer.from(ab, 4, 8);
    assert.equal(b.length, 8);
    b[0] = 7;
    assert.equal(new Uint8Array(ab)[4], 7);
    assert.throws(() => PageBuffer.from(new Uint8Array(4)), TypeError);
  });
});
