import * as zlib from 'node:zlib';
import { crc32 as tableCrc32 } from './crc32';
import { patternByte, patternTable, verifyPattern } from './pattern';
import { expectedLength, transferOffset, type StreamShape } from './stream-layout';
import type { StreamEndTally } from './protocol';

/** The first thing wrong with received data. */
export interface StreamFault {
  /** Stream offset of the first wrong (or missing, or extra) byte. */
  offset: number;
  /** What was wrong, e.g. `byte 0x3f, expected 0x12` or `transfer 7: 100 bytes, expected 512`. */
  detail: string;
}

/**
 * The accounting of one stream end: bytes and transfers moved, a CRC-32 of the bytes in stream
 * order (so both ends can be compared), and, on a receiving end, the first fault the pattern
 * oracle found. Constant memory: nothing is kept per transfer.
 */
export class StreamTally {
  bytes = 0;
  transfers = 0;
  private crc = 0;
  /** First fault found (receiving ends only); later ones are counted, not kept. */
  fault: StreamFault | undefined;
  /** Transfers with a wrong length or wrong bytes. */
  badTransfers = 0;

  /**
   * Builds the seed's pattern table now (1 MiB of xorshift, tens of ms on a TCG guest), so a
   * stream's timing, which starts after its tallies exist, never includes it.
   */
  constructor(readonly shape: StreamShape, readonly seed: number) {
    patternTable(seed);
  }

  /** The tally as a stream report carries it (both ends report the same shape). */
  report(): StreamEndTally {
    return {
      bytes: this.bytes,
      transfers: this.transfers,
      checksum: this.checksum,
      firstBadOffset: this.fault?.offset ?? null,
      ...(this.fault ? { fault: this.fault.detail } : {}),
      badTransfers: this.badTransfers,
    };
  }

  /** CRC-32 (zlib's) of every byte counted so far, as 8 hex digits. */
  get checksum(): string {
    return this.crc.toString(16).padStart(8, '0');
  }

  /**
   * Take over the counts of the addon's pump that ran this end (native-pump.ts), which keeps them
   * exactly as {@link sent} and {@link received} do.
   */
  mirror(t: { bytes: number; transfers: number; crc: number; firstBadOffset: number | null; fault?: string; badTransfers: number }): void {
    this.bytes = t.bytes;
    this.transfers = t.transfers;
    this.crc = t.crc;
    this.badTransfers = t.badTransfers;
    this.fault = t.firstBadOffset === null ? undefined : { offset: t.firstBadOffset, detail: t.fault ?? '' };
  }

  /** Count transfer k as sent: `data` is exactly what went out. */
  sent(data: Uint8Array): void {
    this.crc = crc32(data, this.crc);
    this.bytes += data.length;
    this.transfers++;
  }

  /**
   * Check received transfer k (`data` = the bytes it delivered) against its expected length and
   * the pattern, then count it. Returns false when something was wrong.
   */
  received(k: number, data: Uint8Array): boolean {
    const expected = expectedLength(this.shape, k);
    const offset = transferOffset(this.shape, k);
    this.crc = crc32(data, this.crc);
    this.bytes += data.length;
    this.transfers++;
    let ok = true;
    const common = Math.min(expected, data.length);
    const bad = common > 0 ? verifyPattern(data.subarray(0, common), this.seed, offset) : -1;
    if (bad >= 0) {
      ok = false;
      this.fault ??= { offset: offset + bad, detail: `byte 0x${hex(data[bad]!)}, expected 0x${hex(patternByte(this.seed, offset + bad))} (transfer ${k})` };
    }
    if (data.length !== expected) {
      ok = false;
      this.fault ??= { offset: offset + common, detail: `transfer ${k}: ${data.length} bytes, expected ${expected}` };
    }
    if (!ok) this.badTransfers++;
    return ok;
  }
}

/**
 * zlib.crc32 of `data` continuing `crc`. Empty data leaves `crc` as it is: an empty Buffer may have
 * no memory behind it, and zlib's crc32 of a NULL buffer is its initial value 0, so node's would
 * reset the checksum of a stream at its first zero-length transfer.
 */
function crc32(data: Uint8Array, crc: number): number {
  return data.length === 0 ? crc : zlibCrc32(data, crc);
}

/** zlib's, from Node 20.15 on; the table-driven one where there is none (Node 18, on boards). */
const zlibCrc32: (data: Uint8Array, value: number) => number = typeof zlib.crc32 === 'function' ? zlib.crc32 : tableCrc32;

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
