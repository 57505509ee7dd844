import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDescriptors, buildStrings, DescriptorError } from '../lib/descriptors';
import { validateFunction, type FunctionSpec } from '@ffs-lab/contract/function-spec';

const BULK_PAIR: FunctionSpec = {
  endpoints: [
    { number: 1, direction: 'in', type: 'bulk' },
    { number: 2, direction: 'out', type: 'bulk' },
  ],
};

describe('buildDescriptors', () => {
  it('lays out the v2 header, FS/HS/SS sets and SS companions byte for byte', () => {
    const b = buildDescriptors(BULK_PAIR);
    assert.equal(b.readUInt32LE(0), 3, 'FUNCTIONFS_DESCRIPTORS_MAGIC_V2');
    assert.equal(b.readUInt32LE(4), b.length);
    assert.equal(b.readUInt32LE(8), 1 | 2 | 4, 'HAS_FS | HAS_HS | HAS_SS');
    assert.deepEqual([b.readUInt32LE(12), b.readUInt32LE(16), b.readUInt32LE(20)], [3, 3, 5]);
    const body = b.subarray(24);
    // FS: interface + 2 endpoints at 64 bytes.
    assert.deepEqual([...body.subarray(0, 9)], [9, 4, 0, 0, 2, 0xff, 0, 0, 1]);
    assert.deepEqual([...body.subarray(9, 16)], [7, 5, 0x81, 2, 64, 0, 0]);
    assert.deepEqual([...body.subarray(16, 23)], [7, 5, 0x02, 2, 64, 0, 0]);
    // HS: 512-byte bulk.
    assert.deepEqual([...body.subarray(32, 39)], [7, 5, 0x81, 2, 0x00, 0x02, 0]);
    // SS: endpoint then its companion.
    const ss = body.subarray(46);
    assert.deepEqual([...ss.subarray(9, 16)], [7, 5, 0x81, 2, 0x00, 0x04, 0]);
    assert.deepEqual([...ss.subarray(16, 22)], [6, 0x30, 0, 0, 0, 0]);
    assert.equal(b.length, 24 + 23 + 23 + 9 + 2 * 13);
  });

  it('sets the flags and the eventfd field', () => {
    const b = buildDescriptors({ ...BULK_PAIR, speeds: ['hs'], flags: { eventfd: 9, allCtrlRecip: true, config0Setup: true } });
    assert.equal(b.readUInt32LE(8), 2 | 32 | 64 | 128);
    assert.equal(b.readUInt32LE(12), 9, 'the eventfd comes right after the flags');
    assert.equal(b.readUInt32LE(16), 3, 'then the one count');
  });

  it('refuses what the kernel would refuse, listing every reason before anything is written', () => {
    const bad: FunctionSpec = {
      interfaceClass: 300,
      speeds: ['fs', 'hs'],
      endpoints: [
        { number: 0, direction: 'in', type: 'bulk' },
        { number: 3, direction: 'out', type: 'bulk', maxPacket: { hs: 1024 } },
        { number: 3, direction: 'out', type: 'bulk' },
        { number: 4, direction: 'in', type: 'interrupt', maxPacket: { fs: 65 }, interval: 0 },
        { number: 5, direction: 'sideways' as 'in', type: 'bulk' },
      ],
    };
    assert.throws(() => buildDescriptors(bad), (e: unknown) => {
      assert.ok(e instanceof DescriptorError);
      const all = e.problems.join('\n');
      for (const re of [/interfaceClass must be 0..255/, /endpoint 0: number must be 1..15/, /high-speed bulk maxPacket must be 512 \(got 1024\)/, /endpoint 3 out declared twice/, /fs interrupt maxPacket too large \(65\)/, /interval must be 1..255/, /direction must be 'in' or 'out'/]) {
        assert.match(all, re);
      }
      return true;
    });
    assert.deepEqual(validateFunction({ endpoints: [], speeds: [] }), ['at least one speed is needed']);
  });
});

describe('buildStrings', () => {
  it('builds the strings blob with NUL-terminated UTF-8 per language', () => {
    const b = buildStrings({ 0x0409: ['Source/Sink', 'x'] });
    assert.deepEqual([b.readUInt32LE(0), b.readUInt32LE(4), b.readUInt32LE(8), b.readUInt32LE(12)], [2, b.length, 2, 1]);
    assert.equal(b.readUInt16LE(16), 0x0409);
    assert.equal(b.subarray(18).toString('utf8'), 'Source/Sink\0x\0');
  });

  it('refuses unequal counts, NUL and over-long strings', () => {
    assert.throws(() => buildStrings({ 0x0409: ['a', 'b'], 0x0407: ['a'] }), /language 0x409 has 2 strings, the first has 1/);
    assert.throws(() => buildStrings({ 0x0409: ['a\0b'] }), /NUL/);
    assert.throws(() => buildStrings({ 0x0409: ['é'.repeat(64)] }), /longer than 126 bytes/);
  });
});
