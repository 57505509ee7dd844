/**
 * Golden vectors of the stream contract: cases and what this package computes for them, as text
 * lines a C or C++ copy of the contract prints the same way (bench/src/contract-check.c reads the
 * cases on stdin). A copy that agrees on every line agrees on the layout of every stream shape
 * tried, and on every field of the tally for right, short, long and corrupted transfers.
 *
 *   layout TRANSFER_SIZE TOTAL_BYTES ZLP_TRANSFERS MAX_PACKET DEPTH BUDGET
 *     -> count N; k=OFFSET+LENGTH/RECEIVE for the first two and last two transfers;
 *        slot SEND/RECEIVE; depth SEND/RECEIVE
 *   tally TRANSFER_SIZE TOTAL_BYTES ZLP_TRANSFERS SEED K:LENGTH:FLIP ...
 *     -> the receiving tally after transfer K delivered LENGTH bytes of the pattern at its
 *        offset, with byte FLIP inverted (-1: none); then the sending tally of the same bytes
 */

import { fillPattern, PATTERN_PERIOD } from './pattern';
import { effectiveDepth, expectedLength, receiveLength, slotBytes, transferCount, transferOffset, type StreamShape } from './stream-layout';
import { StreamTally } from './stream-tally';
import type { StreamEndTally } from './protocol';

/** One golden vector: the case line a copy reads, and the line it must print. */
export interface GoldenVector {
  input: string;
  expected: string;
}

const GiB = 2 ** 30;

/** Shapes at the edges: ZLP streams, a short last transfer, exact multiples, one transfer, past 4 GiB and the pattern's period. */
const LAYOUTS: ReadonlyArray<[transferSize: number, totalBytes: number, zlps: number, maxPacket: number, depth: number, budget: number]> = [
  [0, 0, 5, 512, 8, 16 << 20],
  [0, 0, 1, 64, 1, 16 << 20],
  [512, 512, 0, 512, 4, 16 << 20],
  [512, 511, 0, 512, 4, 16 << 20],
  [65536, 1_000_000, 0, 512, 16, 16 << 20],
  [65536, 65536 * 32, 0, 1024, 64, 12 << 20],
  [300_001, PATTERN_PERIOD + 700_000, 0, 512, 8, 1 << 20],
  [4 << 20, 5 * GiB + 17, 0, 512, 256, 16 << 20],
  [1, 3, 0, 64, 2, 16 << 20],
  [1000, 999_999, 0, 64, 256, 4096],
  [4 << 20, 4 << 20, 0, 1024, 3, 1],
];

/** A tally case: a shape, a seed, and the transfers delivered (index, length, byte to invert or -1). */
export type TallyCase = [shape: StreamShape, seed: number, deliveries: ReadonlyArray<[k: number, length: number, flip: number]>];

/** The tally cases, for a copy that is driven call by call rather than by the text lines (the addon's Tally). */
export const TALLY_CASES: readonly TallyCase[] = [
  [{ transferSize: 512, totalBytes: 1300 }, 1, [[0, 512, -1], [1, 512, -1], [2, 276, -1]]],
  [{ transferSize: 512, totalBytes: 1300 }, 0xffffffff, [[0, 512, -1], [1, 500, -1], [2, 276, 3]]],
  [{ transferSize: 512, totalBytes: 1300 }, 42, [[0, 512, 511], [1, 600, -1], [2, 0, -1]]],
  [{ transferSize: 4096, totalBytes: 4096 * 3 }, 0x68e31da4, [[0, 4096, -1], [1, 4097, -1], [2, 4096, 0]]],
  [{ transferSize: 0, totalBytes: 0, transfers: 3 }, 7, [[0, 0, -1], [1, 0, -1], [2, 1, -1]]],
  [{ transferSize: 300_001, totalBytes: PATTERN_PERIOD + 700_000 }, 1_234_567_891, [[3, 300_001, -1], [4, 300_001, 299_999], [5, 300_001, -1]]],
  [{ transferSize: 4 << 20, totalBytes: 5 * GiB + 17 }, 0x80000000, [[1280, 17, -1], [1279, 4 << 20, (4 << 20) - 1]]],
];

/** The layout vectors. */
export function layoutVectors(): GoldenVector[] {
  return LAYOUTS.map(([transferSize, totalBytes, zlps, maxPacket, depth, budget]) => {
    const shape: StreamShape = { transferSize, totalBytes, ...(transferSize === 0 ? { transfers: zlps } : {}) };
    const n = transferCount(shape);
    const ks = [...new Set([0, 1, n - 2, n - 1].filter((k) => k >= 0 && k < n))];
    const transfers = ks.map((k) => {
      const length = expectedLength(shape, k);
      return `${k}=${transferOffset(shape, k)}+${length}/${receiveLength(length, maxPacket)}`;
    });
    const send = slotBytes(shape, false, maxPacket);
    const receive = slotBytes(shape, true, maxPacket);
    return {
      input: `layout ${transferSize} ${totalBytes} ${zlps} ${maxPacket} ${depth} ${budget}`,
      expected: `count ${n}; ${transfers.join(' ')}; slot ${send}/${receive}; depth ${effectiveDepth(depth, n, send, budget)}/${effectiveDepth(depth, n, receive, budget)}`,
    };
  });
}

/** The bytes transfer k of a tally case delivers: the pattern at its offset, one byte inverted or none. */
export function deliveredBytes(shape: StreamShape, seed: number, [k, length, flip]: TallyCase[2][number]): Buffer {
  const data = Buffer.alloc(length);
  fillPattern(data, seed, transferOffset(shape, k));
  if (flip >= 0) data[flip] = data[flip]! ^ 0xff;
  return data;
}

/** A tally case's result line: the receiving end's report, then the sending end's checksum. */
export function tallyLine(received: StreamEndTally, sentChecksum: string): string {
  const r = received;
  return `received ${r.bytes} ${r.transfers} ${r.checksum} ${r.firstBadOffset ?? -1} ${r.badTransfers} "${r.fault ?? ''}"; sent ${sentChecksum}`;
}

/** The tally vectors. */
export function tallyVectors(): GoldenVector[] {
  return TALLY_CASES.map(([shape, seed, deliveries]) => {
    const received = new StreamTally(shape, seed);
    const sent = new StreamTally(shape, seed);
    for (const d of deliveries) {
      const data = deliveredBytes(shape, seed, d);
      received.received(d[0], data);
      sent.sent(data);
    }
    return {
      input: `tally ${shape.transferSize} ${shape.totalBytes} ${shape.transfers ?? 0} ${seed} ${deliveries.map((d) => d.join(':')).join(' ')}`,
      expected: tallyLine(received.report(), sent.checksum),
    };
  });
}

