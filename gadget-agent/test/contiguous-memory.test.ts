import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { maxPageOrder } from '@ffs-lab/native/page-size';
import { ensureContiguous, freeBlocks, type MemoryKnobs } from '../src/probes/contiguous-memory';

/** /proc/buddyinfo of an arm64 guest with 64 KiB pages (orders 0..13) after a long run: no order-13 block. */
const FRAGMENTED = [
  'Node 0, zone      DMA    120     41     17      9      3      2      1      1      0      0      0      0      1      0 ',
  'Node 0, zone   Normal    300     88     12      4      1      0      0      0      0      0      0      0      0      0 ',
  '',
].join('\n');
const COMPACTED = FRAGMENTED.replace(/1 {6}0 \n/, '0      1 \n');

test('free blocks of an order count every zone, a block of a higher order as 2^(difference) of it', () => {
  assert.equal(freeBlocks(FRAGMENTED, 13), 0);
  assert.equal(freeBlocks(FRAGMENTED, 12), 1);
  assert.equal(freeBlocks(FRAGMENTED, 11), 2);
  assert.equal(freeBlocks(FRAGMENTED, 7), 1 + 32);
  assert.equal(freeBlocks(COMPACTED, 13), 1);
  assert.equal(freeBlocks('', 3), 0);
  assert.equal(freeBlocks('garbage\n', 0), 0);
});

test("this machine's /proc/buddyinfo parses: as many order-0 pages as its free memory in the buddy allocator", () => {
  const text = fs.readFileSync('/proc/buddyinfo', 'utf8');
  const order = maxPageOrder(text)!;
  assert.ok(freeBlocks(text, 0) >= freeBlocks(text, order) * 2 ** order);
});

/** Knobs whose buddyinfo changes as the steps are taken. */
function knobs(states: string[], canCompact = true): MemoryKnobs & { calls: string[] } {
  const calls: string[] = [];
  let i = 0;
  return {
    calls,
    canCompact: () => canCompact,
    buddyinfo: () => states[Math.min(i, states.length - 1)]!,
    compact: () => {
      calls.push('compact');
      i++;
    },
    dropCaches: () => {
      calls.push('drop');
      i++;
    },
  };
}

test('a free block already there: nothing is done', () => {
  const k = knobs([COMPACTED]);
  const r = ensureContiguous(13, k);
  assert.deepEqual({ step: r.step, before: r.freeBefore, after: r.freeAfter, calls: k.calls }, { step: 'none', before: 1, after: 1, calls: [] });
});

test('compaction that makes one stops there; one that does not goes on to drop the caches and compact again', () => {
  const once = knobs([FRAGMENTED, COMPACTED]);
  const r1 = ensureContiguous(13, once);
  assert.deepEqual({ step: r1.step, after: r1.freeAfter, calls: once.calls }, { step: 'compacted', after: 1, calls: ['compact'] });
  const twice = knobs([FRAGMENTED, FRAGMENTED, FRAGMENTED, COMPACTED]);
  const r2 = ensureContiguous(13, twice);
  assert.deepEqual({ step: r2.step, after: r2.freeAfter, calls: twice.calls }, { step: 'dropped caches and compacted', after: 1, calls: ['compact', 'drop', 'compact'] });
  const never = knobs([FRAGMENTED]);
  const r3 = ensureContiguous(13, never);
  assert.deepEqual({ step: r3.step, before: r3.freeBefore, after: r3.freeAfter }, { step: 'dropped caches and compacted', before: 0, after: 0 });
  assert.equal(r3.buddyinfo, FRAGMENTED);
});

test('a kernel without compaction (CONFIG_COMPACTION) only gets its caches dropped, and says so', () => {
  const k = knobs([FRAGMENTED, COMPACTED], false);
  const r = ensureContiguous(13, k);
  assert.deepEqual({ step: r.step, compaction: r.compaction, after: r.freeAfter, calls: k.calls }, { step: 'dropped caches', compaction: false, after: 1, calls: ['drop'] });
});
