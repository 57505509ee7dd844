/**
 * The inputs of the node vectors (node-vectors.ts): the same cases computed by node (the
 * node-vectors test, with node's Buffer and zlib) and by the code under test in node and in
 * Chromium (the page tests, with the page's stand-ins there). No node API here.
 */
import { PATTERN_PERIOD, fillPattern } from '@ffs-lab/contract/pattern';
import { StreamTally } from '@ffs-lab/contract/stream-tally';
import type { StreamEndTally } from '@ffs-lab/contract/protocol';
import { hex, vectorBytes } from './vector-data';

/** crc32 over vectorBytes(CRC_SEED, CRC_BYTES)[offset, offset + length), from `initial`. */
export interface CrcCase {
  offset: number;
  length: number;
  initial: number;
  crc: number;
}

/** A compare of a view of the source bytes with a target: node's result, or the error's name. */
export interface CompareCase {
  view: [number, number];
  args: [number, number, number, number];
  result: number | string;
}

/** A copy from a view of the source bytes into a zeroed target: the count and the target after. */
export interface CopyCase {
  view: [number, number];
  targetLength: number;
  args: [number, number, number];
  copied: number;
  target: string;
}

/** What node computes for the cases below (node-vectors.ts). */
export interface NodeVectors {
  crc32: CrcCase[];
  compare: CompareCase[];
  copy: CopyCase[];
  /** Pattern bytes of PATTERN_SEED at stream offsets [offset, offset + hex.length / 2). */
  pattern: Array<{ offset: number; hex: string }>;
  /** CRC-32 of the first PATTERN_CRC_BYTES pattern bytes (across the period's wrap). */
  patternCrc: number;
  /** A receiving tally's report after TALLY_TRANSFERS (one flipped byte, one short transfer). */
  tally: StreamEndTally;
}

export const CRC_SEED = 0x1badb002;
export const CRC_BYTES = 70_000;
export const BUFFER_SEED = 0x0ddba11;
export const BUFFER_BYTES = 96;
export const PATTERN_SEED = 0x5eed1234;
export const PATTERN_CRC_BYTES = 2 * PATTERN_PERIOD + 100;

/** crc32 cases: every length around the 8-byte stride, aligned or not, the sizes streams use, chains. */
export function crcInputs(): Array<Omit<CrcCase, 'crc'>> {
  const out: Array<Omit<CrcCase, 'crc'>> = [];
  for (const offset of [0, 3]) for (let length = 0; length <= 40; length++) out.push({ offset, length, initial: 0 });
  for (const length of [511, 512, 513, 4096, 4113, 65_536, 65_537]) out.push({ offset: 1, length, initial: 0 });
  for (const initial of [0x1234, 0xffffffff, 0x80000000]) out.push({ offset: 5, length: 1000, initial }, { offset: 0, length: 0, initial });
  return out;
}

/** The source bytes of the Buffer cases, and the target: the same bytes with two changed. */
export function bufferBytes(): { source: Uint8Array; target: Uint8Array } {
  const source = vectorBytes(BUFFER_SEED, BUFFER_BYTES);
  const target = source.slice();
  target[40]! ^= 0x01;
  target[77]! ^= 0x80;
  return { source, target };
}

/** compare cases: views at aligned and odd offsets, ranges empty, short, long, past the end. */
export function compareInputs(): Array<Omit<CompareCase, 'result'>> {
  const out: Array<Omit<CompareCase, 'result'>> = [];
  for (const view of [[0, 96], [1, 90], [6, 33]] as Array<[number, number]>) {
    for (const [ts, te] of [[0, 96], [1, 41], [40, 41], [3, 3], [50, 90], [0, 97]]) {
      for (const [ss, se] of [[0, view[1]], [1, 41], [0, 0], [40, 41], [8, view[1] + 1]]) out.push({ view, args: [ts!, te!, ss!, se!] });
    }
  }
  return out;
}

/** copy cases: into targets shorter and longer than the range, at offsets that clamp. */
export function copyInputs(): Array<Omit<CopyCase, 'copied' | 'target'>> {
  const out: Array<Omit<CopyCase, 'copied' | 'target'>> = [];
  for (const view of [[0, 96], [3, 50]] as Array<[number, number]>) {
    for (const targetLength of [0, 10, 64]) {
      for (const args of [[0, 0, view[1]], [5, 2, 30], [60, 0, 20], [0, 10, 10]] as Array<[number, number, number]>) out.push({ view, targetLength, args });
    }
  }
  return out;
}

/** Stream offsets at which the pattern's bytes are pinned, around the period's wrap included. */
export const PATTERN_RANGES: Array<[number, number]> = [
  [0, 32],
  [12_293, 40],
  [PATTERN_PERIOD - 16, 32],
  [3 * PATTERN_PERIOD + 7, 24],
];

/** The shape of the tally case, and what its receiver gets: transfer 2 has a flipped byte, 4 is short. */
export const TALLY_SHAPE = { transferSize: 3 * 4096 + 1, totalBytes: 6 * (3 * 4096 + 1) - 5 };

/** Run the tally case through StreamTally (with whatever Buffer and zlib this realm has). */
export function runTallyCase(): StreamEndTally {
  const t = new StreamTally(TALLY_SHAPE, PATTERN_SEED);
  for (let k = 0; k < 6; k++) {
    const n = Math.min(TALLY_SHAPE.transferSize, TALLY_SHAPE.totalBytes - k * TALLY_SHAPE.transferSize) - (k === 4 ? 9 : 0);
    const data = new Uint8Array(n);
    fillPattern(data, PATTERN_SEED, k * TALLY_SHAPE.transferSize);
    if (k === 2) data[100]! ^= 0x20;
    t.received(k, data);
  }
  return t.report();
}

/** The pattern's bytes over PATTERN_RANGES, as hex. */
export function patternSamples(): Array<{ offset: number; hex: string }> {
  return PATTERN_RANGES.map(([offset, length]) => {
    const b = new Uint8Array(length);
    fillPattern(b, PATTERN_SEED, offset);
    return { offset, hex: hex(b) };
  });
}

/** The first PATTERN_CRC_BYTES bytes of the pattern (fill them and checksum them with this realm's crc32). */
export function patternPrefix(): Uint8Array {
  const b = new Uint8Array(PATTERN_CRC_BYTES);
  fillPattern(b, PATTERN_SEED, 0);
  return b;
}
