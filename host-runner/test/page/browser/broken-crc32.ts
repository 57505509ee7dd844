/**
 * A deliberately broken stand-in for `node:zlib`'s crc32 (FFS_LAB_BROKEN_STAND_IN=crc32): right
 * for short inputs, one bit off from 64 bytes on, as a slicing table bug would be. The page
 * tests must fail with it (host-runner/test/browser-units.test.ts checks that they do).
 */
import { crc32 as right } from '@ffs-lab/contract/crc32';

export function crc32(data: Uint8Array, value = 0): number {
  const c = right(data, value);
  return data.length >= 64 ? (c ^ 1) >>> 0 : c;
}
