import * as fs from 'node:fs';
import type { CompactionStep, ProbeContiguous } from '@ffs-lab/contract/mmap-probe-protocol';

/**
 * Free blocks of at least `order` pages, summed over every zone of /proc/buddyinfo (a block of
 * a higher order holds one of each lower order). An allocation without a zone modifier (the
 * series' mmap buffers) may fall back to any of them.
 */
export function freeBlocks(buddyinfo: string, order: number): number {
  let total = 0;
  for (const line of buddyinfo.split('\n')) {
    const m = /^Node\s+\d+,\s+zone\s+\S+\s+(.*)$/.exec(line);
    if (!m) continue;
    const counts = m[1]!.trim().split(/\s+/).map(Number);
    for (let o = order; o < counts.length; o++) total += (counts[o] ?? 0) * 2 ** (o - order);
  }
  return total;
}

/** The kernel's hooks that make free blocks: each a write of one value to a sysctl (root). */
export interface MemoryKnobs {
  buddyinfo(): string;
  /** Whether the kernel can compact (CONFIG_COMPACTION). */
  canCompact(): boolean;
  /** /proc/sys/vm/compact_memory: compact every zone now. */
  compact(): void;
  /** /proc/sys/vm/drop_caches 3: free the clean page cache and slab caches. */
  dropCaches(): void;
}

const COMPACT_MEMORY = '/proc/sys/vm/compact_memory';

const procKnobs: MemoryKnobs = {
  buddyinfo: () => fs.readFileSync('/proc/buddyinfo', 'utf8'),
  canCompact: () => fs.existsSync(COMPACT_MEMORY),
  compact: () => fs.writeFileSync(COMPACT_MEMORY, '1'),
  dropCaches: () => fs.writeFileSync('/proc/sys/vm/drop_caches', '3'),
};

/**
 * Make a free block of `order` pages, doing no more than it takes: nothing when one is free;
 * else compaction; else dropping the caches (whose pages can then be moved or are gone) and
 * compacting again. A kernel without compaction (CONFIG_COMPACTION) only gets its caches dropped.
 * A long run fragments memory, so at the largest order a refused mmap means nothing about the
 * limit unless a block was free just before it.
 */
export function ensureContiguous(order: number, knobs: MemoryKnobs = procKnobs): ProbeContiguous {
  let text = knobs.buddyinfo();
  const freeBefore = freeBlocks(text, order);
  const compaction = knobs.canCompact();
  let step: CompactionStep = 'none';
  if (freeBefore > 0) return { order, freeBefore, freeAfter: freeBefore, step, compaction, buddyinfo: text };
  if (compaction) {
    knobs.compact();
    step = 'compacted';
    text = knobs.buddyinfo();
    if (freeBlocks(text, order) > 0) return { order, freeBefore, freeAfter: freeBlocks(text, order), step, compaction, buddyinfo: text };
  }
  knobs.dropCaches();
  step = 'dropped caches';
  if (compaction) {
    knobs.compact();
    step = 'dropped caches and compacted';
  }
  text = knobs.buddyinfo();
  return { order, freeBefore, freeAfter: freeBlocks(text, order), step, compaction, buddyinfo: text };
}
