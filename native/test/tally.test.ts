import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { native } from '../lib/bindings';
import { fillPattern, patternTable, PATTERN_PERIOD } from '@ffs-lab/contract/pattern';
import { firstPacketPatternMismatch, PACKET_PATTERNS, packetPatternTable } from '@ffs-lab/contract/packet-pattern';
import { StreamTally } from '@ffs-lab/contract/stream-tally';
import { deliveredBytes, TALLY_CASES, tallyLine, tallyVectors } from '@ffs-lab/contract/golden-vectors';
import { expectedLength, transferCount, transferOffset, type StreamShape } from '@ffs-lab/contract/stream-layout';

/** The addon's Tally (what the host's node usb streams use) against stream-tally.ts, call for call. */
describe('native Tally', () => {
  const seed = 0x1234abcd;
  const MPS = 512;
  const make = (shape: StreamShape) => new (native().Tally)({ transferSize: shape.transferSize, totalBytes: shape.totalBytes, transfers: transferCount(shape), maxPacketSize: MPS, pattern: patternTable(seed) });

  it('fills each transfer with the pattern at its stream offset, across the period, short last transfer included', () => {
    const shape: StreamShape = { transferSize: 300_001, totalBytes: PATTERN_PERIOD + 700_000 };
    const t = make(shape);
    for (let k = 0; k < transferCount(shape); k++) {
      const got = Buffer.alloc(shape.transferSize);
      assert.equal(t.fill(got, k), expectedLength(shape, k));
      const want = Buffer.alloc(expectedLength(shape, k));
      fillPattern(want, seed, transferOffset(shape, k));
      assert.ok(got.subarray(0, want.length).equals(want), `transfer ${k}`);
    }
    assert.throws(() => t.fill(Buffer.alloc(10), 0), /shorter than the transfer/);
    assert.throws(() => t.fill(Buffer.alloc(shape.transferSize), transferCount(shape)), /transfer index/);
  });

  it('sent: counts bytes and CRC-32 as the JS tally does; a short write is named', () => {
    const shape: StreamShape = { transferSize: 4096, totalBytes: 10_000 };
    const t = make(shape);
    const js = new StreamTally(shape, seed);
    for (let k = 0; k < transferCount(shape); k++) {
      const buf = Buffer.alloc(shape.transferSize);
      const n = t.fill(buf, k);
      assert.equal(t.sent(buf, k, n), undefined);
      js.sent(buf.subarray(0, n));
    }
    const r = t.report();
    js.mirror(r);
    assert.deepEqual([r.bytes, r.transfers, r.badTransfers, r.firstBadOffset], [10_000, 3, 0, null]);
    const ref = new StreamTally(shape, seed);
    for (let k = 0; k < 3; k++) {
      const b = Buffer.alloc(expectedLength(shape, k));
      fillPattern(b, seed, transferOffset(shape, k));
      ref.sent(b);
    }
    assert.equal(js.checksum, ref.checksum);
    assert.equal(make(shape).sent(Buffer.alloc(4096), 0, 100), 'transfer 0: wrote 100 of 4096 bytes');
  });

  it('received: the same verdicts, first fault and CRC-32 as the JS tally, for a wrong byte, a short and a long transfer', () => {
    const shape: StreamShape = { transferSize: 2048, totalBytes: 8192 };
    const cases: Array<[string, (b: Buffer, k: number) => Buffer]> = [
      ['intact', (b) => b],
      ['wrong byte in transfer 2', (b, k) => (k === 2 ? (b[77] ^= 0x40, b) : b)],
      ['transfer 1 short', (b, k) => (k === 1 ? b.subarray(0, 1000) : b)],
      ['transfer 3 long', (b, k) => (k === 3 ? Buffer.concat([b, Buffer.alloc(512, 1)]) : b)],
    ];
    for (const [name, spoil] of cases) {
      const t = make(shape);
      const js = new StreamTally(shape, seed);
      for (let k = 0; k < 4; k++) {
        const b = Buffer.alloc(expectedLength(shape, k));
        fillPattern(b, seed, transferOffset(shape, k));
        const got = spoil(b, k);
        const slot = Buffer.alloc(4096);
        got.copy(slot);
        assert.equal(t.received(slot, k, got.length), js.received(k, got), `${name}: transfer ${k}`);
      }
      const mirrored = new StreamTally(shape, seed);
      mirrored.mirror(t.report());
      assert.deepEqual(mirrored.report(), js.report(), name);
    }
  });

  it('agrees with the contract\'s golden tally vectors: counts, CRC-32, first bad offset, bad transfers, fault text', () => {
    const vectors = tallyVectors();
    TALLY_CASES.forEach(([shape, caseSeed, deliveries], i) => {
      const make_ = () => new (native().Tally)({ transferSize: shape.transferSize, totalBytes: shape.totalBytes, transfers: transferCount(shape), maxPacketSize: MPS, pattern: patternTable(caseSeed) });
      const received = make_();
      const sent = make_();
      let refused = false;
      for (const d of deliveries) {
        const data = deliveredBytes(shape, caseSeed, d);
        const slot = Buffer.alloc(Math.max(data.length, 1));
        data.copy(slot);
        received.received(slot, d[0], data.length);
        // A sender knows what it wrote: the addon refuses to count a transfer of the wrong length.
        const error = sent.sent(slot, d[0], data.length);
        if (data.length === expectedLength(shape, d[0])) {
          assert.equal(error, undefined);
        } else {
          refused = true;
          assert.match(error ?? '', new RegExp(`^transfer ${d[0]}: wrote ${data.length} of `));
        }
      }
      const [want, wantSent] = vectors[i]!.expected.split('; sent ');
      const js = new StreamTally(shape, caseSeed);
      js.mirror(received.report());
      assert.equal(tallyLine(js.report(), '').split('; sent ')[0], want, vectors[i]!.input);
      if (!refused) {
        const sentJs = new StreamTally(shape, caseSeed);
        sentJs.mirror(sent.report());
        assert.equal(sentJs.checksum, wantSent, `${vectors[i]!.input}: sent`);
      }
    });
  });

  it('refuses a bad shape with a TypeError, not a crash', () => {
    assert.throws(() => new (native().Tally)({ transferSize: 100, totalBytes: 1000, transfers: 3, maxPacketSize: MPS, pattern: patternTable(seed) }), /bad stream shape/);
    assert.throws(() => new (native().Tally)({ transferSize: 100, totalBytes: 1000, transfers: 10, maxPacketSize: MPS, pattern: Buffer.alloc(0) }), /bad stream shape/);
  });

  it("packetPattern (Gadget Zero's mod63 and zeros): any length, every packet from the table's start, the first wrong byte named", () => {
    for (const name of PACKET_PATTERNS) {
      const table = packetPatternTable(name, MPS);
      const t = new (native().Tally)({ transferSize: 4 * MPS, totalBytes: 64 * MPS, transfers: 16, maxPacketSize: MPS, pattern: table, packetPattern: true });
      const fill = Buffer.alloc(4 * MPS);
      assert.equal(t.fill(fill, 3), 4 * MPS);
      assert.equal(firstPacketPatternMismatch(fill, name, MPS), -1, `${name}: fill`);
      // usbtest's transfers: one packet, a short one, several and a short tail: all right.
      for (const n of [MPS, 100, 3 * MPS + 7, 0]) assert.equal(t.received(fill, 0, n), true, `${name}: ${n} bytes`);
      const bad = Buffer.from(fill);
      bad[MPS + 5] = (bad[MPS + 5]! + 1) & 0xff;
      assert.equal(firstPacketPatternMismatch(bad, name, MPS), MPS + 5);
      assert.equal(t.received(bad, 1, 2 * MPS), false);
      const r = t.report();
      assert.equal(r.firstBadOffset, MPS + 100 + 3 * MPS + 7 + MPS + 5, `${name}: offset in the stream`);
      assert.match(r.fault ?? '', new RegExp(`byte ${MPS + 5} of transfer 1, ${2 * MPS} bytes long`));
      assert.equal(r.badTransfers, 1);
    }
    // mod63 restarts at every packet: a stream-wide i % 63 is wrong from the second packet on.
    const continuous = Buffer.from(Array.from({ length: 2 * MPS }, (_, i) => i % 63));
    assert.equal(firstPacketPatternMismatch(continuous, 'mod63', MPS), MPS);
    assert.throws(() => new (native().Tally)({ transferSize: 1000, totalBytes: 10_000, transfers: 10, maxPacketSize: MPS, pattern: packetPatternTable('mod63', MPS), packetPattern: true }), /multiple of it/);
    assert.throws(() => new (native().Tally)({ transferSize: 1024, totalBytes: 10_240, transfers: 10, maxPacketSize: MPS, pattern: patternTable(seed), packetPattern: true }), /one packet/);
  });
});
