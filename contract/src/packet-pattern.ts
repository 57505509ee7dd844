/**
 * Gadget Zero's data patterns, as the kernel's f_sourcesink (gadget side) and usbtest (host side)
 * make and check them: `zeros` (their `pattern=0`) and `mod63` (`pattern=1`: byte i of every
 * packet is `i % 63`). Each packet starts the pattern afresh, so any transfer that begins on a
 * packet boundary can be checked on its own, whatever its length: which is how both kernel ends
 * stay in step without agreeing on transfer sizes (docs/behaviour.md section 8).
 */

/** Gadget Zero's patterns. */
export const PACKET_PATTERNS = ['zeros', 'mod63'] as const;
export type PacketPatternName = (typeof PACKET_PATTERNS)[number];

/** The number f_sourcesink's and usbtest's `pattern` parameter gives each. */
export const KERNEL_PATTERN_NUMBER: Record<PacketPatternName, number> = { zeros: 0, mod63: 1 };

/** One packet of the pattern (`maxPacketSize` bytes): the native pumps' table with packetPattern. */
export function packetPatternTable(name: PacketPatternName, maxPacketSize: number): Buffer {
  const t = Buffer.alloc(maxPacketSize);
  if (name === 'mod63') for (let i = 0; i < maxPacketSize; i++) t[i] = i % 63;
  return t;
}

/**
 * Index of the first byte of `data` (one transfer, starting on a packet boundary) that is not
 * the pattern, or -1 when every byte is.
 */
export function firstPacketPatternMismatch(data: Uint8Array, name: PacketPatternName, maxPacketSize: number): number {
  const table = cachedTable(name, maxPacketSize);
  for (let at = 0; at < data.length; at += maxPacketSize) {
    const n = Math.min(maxPacketSize, data.length - at);
    if (Buffer.compare(Buffer.from(data.buffer, data.byteOffset + at, n), table.subarray(0, n)) === 0) continue;
    for (let i = 0; i < n; i++) if (data[at + i] !== table[i]) return at + i;
  }
  return -1;
}

const tables = new Map<string, Buffer>();

/** The table of `name` at `maxPacketSize`, made once: a host checks every transfer against it. */
function cachedTable(name: PacketPatternName, maxPacketSize: number): Buffer {
  const key = `${name} ${maxPacketSize}`;
  let t = tables.get(key);
  if (!t) tables.set(key, (t = packetPatternTable(name, maxPacketSize)));
  return t;
}
