import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { auxvPageSize, maxPageOrder, pageSize } from '../lib/page-size';

/** An auxv image: (type, value) pairs of `word` bytes each, ended by AT_NULL. */
function auxv(word: 4 | 8, pairs: [number, number][]): Buffer {
  const b = Buffer.alloc((pairs.length + 1) * 2 * word);
  pairs.forEach(([t, v], i) => {
    if (word === 8) {
      b.writeBigUInt64LE(BigInt(t), i * 16);
      b.writeBigUInt64LE(BigInt(v), i * 16 + 8);
    } else {
      b.writeUInt32LE(t, i * 8);
      b.writeUInt32LE(v, i * 8 + 4);
    }
  });
  return b;
}

test('AT_PAGESZ is read from 64-bit and 32-bit (compat) auxv images, past other entries', () => {
  assert.equal(auxvPageSize(auxv(8, [[33, 0x7fff0000], [16, 0xbfebfbff], [6, 65536], [17, 100]]), 8), 65536);
  assert.equal(auxvPageSize(auxv(4, [[16, 1], [6, 16384]]), 4), 16384);
  assert.equal(auxvPageSize(auxv(8, [[16, 1]]), 8), undefined, 'absent');
  assert.equal(auxvPageSize(auxv(8, [[6, 3000]]), 8), undefined, 'not a power of two');
  assert.equal(auxvPageSize(Buffer.alloc(0), 8), undefined);
  // After AT_NULL nothing counts.
  const ended = Buffer.concat([auxv(8, [[16, 1]]), auxv(8, [[6, 4096]])]);
  assert.equal(auxvPageSize(ended, 8), undefined);
});

test('this process\'s page size is what the kernel reports (getconf PAGESIZE)', () => {
  assert.equal(pageSize(), Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()));
});

test('MAX_PAGE_ORDER is the last order column of /proc/buddyinfo', () => {
  const x86 = 'Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      2 \nNode 0, zone    DMA32    135     71     24     12      5      3      2      2      1      1    481 \n';
  assert.equal(maxPageOrder(x86), 10);
  assert.equal(maxPageOrder('Node 0, zone   Normal   3 1 0 0 0 0 0 0 0 0 0 0 0 12\n'), 13, 'arm64 with 64 KiB pages');
  assert.equal(maxPageOrder(''), undefined);
  assert.equal(maxPageOrder('Node 0, zone Normal x y\n'), undefined);
  assert.equal(maxPageOrder(), 10, 'this x86_64 machine');
});
