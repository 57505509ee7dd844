/**
 * The pattern oracle (contract/src/pattern.ts) and the stream tally (stream-tally.ts) as the page runs
 * them, against the bytes and reports node computed (node-vectors.ts). In node they run on node's
 * Buffer and zlib; in Chromium (playwright-test) on the page's stand-ins.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { PATTERN_PERIOD, fillPattern, patternByte, verifyPattern } from '@ffs-lab/contract/pattern';
import { NODE_VECTORS } from './node-vectors';
import { PATTERN_SEED, patternPrefix, patternSamples, runTallyCase } from './vector-cases';

describe('pattern oracle and stream tally against node', () => {
  it('fillPattern gives the bytes node gives, around the period\'s wrap too', () => {
    assert.deepEqual(patternSamples(), NODE_VECTORS.pattern);
  });

  it(`the first ${(2 * PATTERN_PERIOD + 100).toLocaleString('en')} pattern bytes have node's CRC-32`, () => {
    assert.equal(zlib.crc32(patternPrefix()), NODE_VECTORS.patternCrc);
  });

  it('a receiving tally reports what node reports: the flipped byte, the short transfer, the checksum', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(runTallyCase())), NODE_VECTORS.tally);
    assert.equal(NODE_VECTORS.tally.badTransfers, 2);
  });

  it('verifyPattern finds the first wrong byte at any offset and alignment, and accepts the right ones', () => {
    const whole = new Uint8Array(3 * 4096 + 64);
    fillPattern(whole, PATTERN_SEED, PATTERN_PERIOD - 5000);
    for (const start of [0, 1, 3, 4093]) {
      const view = whole.subarray(start, start + 3 * 4096);
      assert.equal(verifyPattern(view, PATTERN_SEED, PATTERN_PERIOD - 5000 + start), -1, `start ${start}`);
      for (const at of [0, 7, 5000 - start, view.length - 1]) {
        view[at]! ^= 0x01;
        assert.equal(verifyPattern(view, PATTERN_SEED, PATTERN_PERIOD - 5000 + start), at, `start ${start}, flipped at ${at}`);
        view[at]! ^= 0x01;
      }
    }
    assert.equal(patternByte(PATTERN_SEED, PATTERN_PERIOD + 12), patternByte(PATTERN_SEED, 12));
    assert.notEqual(verifyPattern(whole.subarray(0, 64), PATTERN_SEED + 1, PATTERN_PERIOD - 5000), -1, 'another seed is another pattern');
  });
});
