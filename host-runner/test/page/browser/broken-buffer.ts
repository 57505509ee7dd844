/**
 * A deliberately broken stand-in for node's `Buffer` (FFS_LAB_BROKEN_STAND_IN=buffer): its ranged
 * compare ignores the last byte of the range, an off-by-one. The page tests must fail with it
 * (host-runner/test/browser-units.test.ts checks that they do).
 */
import { Buffer as Right } from '../../../src/webusb/browser-buffer';

export class Buffer extends Right {
  static override from(buffer: unknown, byteOffset?: unknown, length?: unknown): Buffer {
    const view = Right.from(buffer, byteOffset, length);
    return new Buffer(view.buffer, view.byteOffset, view.length);
  }

  override compare(target: Uint8Array, targetStart = 0, targetEnd = target.length, sourceStart = 0, sourceEnd = this.length): number {
    return super.compare(target, targetStart, Math.max(targetStart, targetEnd - 1), sourceStart, Math.max(sourceStart, sourceEnd - 1));
  }
}
