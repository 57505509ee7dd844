import * as fs from 'node:fs';

/** The auxiliary vector entry that carries the page size (AT_PAGESZ, <linux/auxvec.h>). */
const AT_PAGESZ = 6;

let cached: number | undefined;

/**
 * The kernel's page size in bytes, as the kernel told this process (AT_PAGESZ in
 * /proc/self/auxv: no getconf needed, which a minimal board root may lack); 4096 when it cannot
 * be read. Mapping sizes are charged in these.
 */
export function pageSize(): number {
  if (cached) return cached;
  cached = auxvPageSize(readAuxv(), process.arch === 'arm' || process.arch === 'ia32' ? 4 : 8) ?? 4096;
  return cached;
}

/**
 * The buddy allocator's largest order (MAX_PAGE_ORDER), from the number of order columns in
 * /proc/buddyinfo (orders 0 to MAX_PAGE_ORDER); undefined when it cannot be read.
 */
export function maxPageOrder(text: string | undefined = readText('/proc/buddyinfo')): number | undefined {
  const line = text?.split('\n').find((l) => l.startsWith('Node'));
  if (!line) return undefined;
  const counts = line.replace(/^Node\s+\d+,\s+zone\s+\S+/, '').trim().split(/\s+/).filter(Boolean);
  return counts.length > 0 && counts.every((c) => /^\d+$/.test(c)) ? counts.length - 1 : undefined;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readAuxv(): Buffer {
  try {
    return fs.readFileSync('/proc/self/auxv');
  } catch {
    return Buffer.alloc(0);
  }
}

/** AT_PAGESZ from an auxv image of `word`-byte (4: a 32-bit process, 8: 64-bit) little-endian pairs; undefined when absent or implausible. */
export function auxvPageSize(auxv: Buffer, word: 4 | 8): number | undefined {
  for (let at = 0; at + 2 * word <= auxv.length; at += 2 * word) {
    const type = word === 8 ? Number(auxv.readBigUInt64LE(at)) : auxv.readUInt32LE(at);
    if (type === 0) break;
    if (type !== AT_PAGESZ) continue;
    const n = word === 8 ? Number(auxv.readBigUInt64LE(at + word)) : auxv.readUInt32LE(at + word);
    return n >= 4096 && (n & (n - 1)) === 0 ? n : undefined;
  }
  return undefined;
}
