import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import { crc32 } from '@ffs-lab/contract/crc32';
import { Buffer as PageBuffer } from '../src/webusb/browser-buffer';

// The page bundle's stand-ins for node's zlib.crc32 and Buffer must behave exactly like node's.

test('crc32 equals zlib.crc32 for every length around the 8-byte stride, and chains', () => {
  const data = crypto.randomBytes(4096 + 17);
  for (let n = 0; n <= 40; n++) assert.equal(crc32(data.subarray(0, n)), zlib.crc32(data.subarray(0, n)), `length ${n}`);
  for (const n of [511, 512, 513, 4096, 4113]) assert.equal(crc32(data.subarray(0, n)), zlib.crc32(data.subarray(0, n)), `length ${n}`);
  // Unaligned views and chained calls, as StreamTally makes them.
  let mine = 0;
  let theirs = 0;
  for (let i = 3; i < data.length; i += 1000) {
    const part = data.subarray(i, Math.min(data.length, i + 1000));
    mine = crc32(part, mine);
    theirs = zlib.crc32(part, theirs);
  }
  assert.equal(mine, theirs);
  assert.equal(crc32(new Uint8Array(0), 0x1234), zlib.crc32(Buffer.alloc(0), 0x1234));
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('Buffer.from(arrayBuffer, offset, length) is a view, as in node', () => {
  const ab = new ArrayBuffer(16);
  const b = PageBuffer.from(ab, 4, 8);
  assert.equal(b.length, 8);
  assert.equal(b.byteOffset, 4);
  b[0] = 9;
  assert.equal(new Uint8Array(ab)[4], 9);
  assert.equal(PageBuffer.from(ab).length, 16);
  assert.equal(PageBuffer.from(ab, 10).length, 6);
  assert.throws(() => PageBuffer.from([1, 2, 3]), /only supports/);
});

test('copy copies the range and clamps to the target, as in node', () => {
  const src = crypto.randomBytes(100);
  for (const [ts, ss, se, tlen] of [
    [0, 0, 100, 100],
    [5, 10, 60, 40],
    [0, 99, 100, 1],
    [3, 0, 0, 10],
  ] as Array<[number, number, number, number]>) {
    const mineT = new Uint8Array(tlen);
    const nodeT = Buffer.alloc(tlen);
    const mine = PageBuffer.from(src.buffer, src.byteOffset, src.length).copy(mineT, ts, ss, se);
    const theirs = src.copy(nodeT, ts, ss, se);
    assert.equal(mine, theirs);
    assert.deepEqual(Buffer.from(mineT), nodeT);
  }
});

test('compare of ranges gives node\'s sign at every alignment, and finds a difference anywhere', () => {
  const a = crypto.randomBytes(300);
  const b = Buffer.alloc(320);
  for (let shift = 0; shift < 4; shift++) {
    a.copy(b, shift);
    const pa = PageBuffer.from(a.buffer, a.byteOffset, a.length);
    const pb = PageBuffer.from(b.buffer, b.byteOffset, b.length);
    assert.equal(pa.compare(pb, shift, shift + 300, 0, 300), 0);
    assert.equal(pb.compare(pa, 0, 300, shift, shift + 300), 0);
    for (const at of [0, 1, 2, 3, 4, 5, 150, 296, 297, 298, 299]) {
      const saved = b[shift + at]!;
      for (const delta of [1, 255]) {
        b[shift + at] = (saved + delta) & 0xff;
        assert.equal(pa.compare(pb, shift, shift + 300, 0, 300), a.compare(b, shift, shift + 300, 0, 300), `shift ${shift} at ${at} delta ${delta}`);
        assert.equal(pb.compare(pa, 0, 300, shift, shift + 300), b.compare(a, 0, 300, shift, shift + 300));
      }
      b[shift + at] = saved;
    }
    // Unequal lengths: the shorter one is first when the common part is equal.
    assert.equal(pa.compare(pb, shift, shift + 299, 0, 300), a.compare(b, shift, shift + 299, 0, 300));
    assert.equal(pa.compare(pb, shift, shift + 300, 0, 299), a.compare(b, shift, shift + 300, 0, 299));
  }
  assert.throws(() => PageBuffer.from(new ArrayBuffer(4)).compare(new Uint8Array(4), 0, 5), RangeError);
});

test('compare of short ranges that never reach a 4-byte boundary', () => {
  const a = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const pa = PageBuffer.from(a.buffer, a.byteOffset, a.length);
  for (let start = 0; start < 8; start++) {
    for (let len = 0; start + len <= 8 && len < 4; len++) {
      assert.equal(pa.compare(pa, start, start + len, start, start + len), 0, `start ${start} length ${len}`);
      assert.equal(pa.compare(a, 0, len, start, start + len), a.compare(a, 0, len, start, start + len), `start ${start} length ${len}`);
    }
  }
});
