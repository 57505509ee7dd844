import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fillPattern } from '../src/pattern';
import { crc32 } from '../src/crc32';
import { StreamTally } from '../src/stream-tally';

test('a zero-length transfer leaves the checksum as it is, whatever memory backs the empty buffer', () => {
  const shape = { transferSize: 512, totalBytes: 1024 };
  const first = Buffer.alloc(512);
  fillPattern(first, 9, 0);
  // An empty view of a zero-length ArrayBuffer has no memory behind it; zlib's crc32 of NULL is 0.
  for (const empty of [Buffer.alloc(0), new Uint8Array(new ArrayBuffer(0)), first.subarray(0, 0)]) {
    for (const end of ['sent', 'received'] as const) {
      const t = new StreamTally(shape, 9);
      if (end === 'sent') t.sent(first);
      else t.received(0, first);
      const before = t.checksum;
      if (end === 'sent') t.sent(empty);
      else assert.equal(t.received(1, empty), false, 'an empty transfer where 512 bytes were due is wrong');
      assert.equal(t.checksum, before, `${end}: ${empty.constructor.name} of ${empty.buffer.byteLength}`);
      assert.equal(t.transfers, 2);
    }
  }
});

test('the checksum is CRC-32/ISO-HDLC (zlib\'s) on every runtime: zlib\'s where node has it, the table-driven one on Node 18', () => {
  const t = new StreamTally({ transferSize: 9, totalBytes: 9 }, 1);
  t.sent(Buffer.from('123456789'));
  assert.equal(t.checksum, 'cbf43926');
  t.sent(Buffer.from('a'.repeat(1000)));
  assert.equal(t.checksum, crc32(Buffer.from('123456789' + 'a'.repeat(1000))).toString(16).padStart(8, '0'));
});
