/// <reference types="w3c-web-usb" />
/**
 * A WebUSB device double and stream helpers for the tests of the page's stream module, in node
 * (page/webusb-pipeline.test.ts, webusb-page-bundle.test.ts) and in Chromium (playwright-test).
 * No node API but `node:assert/strict` and `node:zlib`, which the page tests' browser build maps
 * to the npm `assert` package and the page's crc32 stand-in.
 */
import * as assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { fillPattern, verifyPattern } from '@ffs-lab/contract/pattern';
import { expectedLength, transferOffset, type StreamShape } from '@ffs-lab/contract/stream-layout';
import type { WebUsbStreamRequest } from '../../src/webusb/webusb-request';

/** The fake device's wMaxPacketSize. */
export const MPS = 512;
/** The pattern seed of every fake stream. */
export const SEED = 0x5eed1234;
/** What the fake device says it is. */
export const MATCH = { vendorId: 0x1d6b, productId: 0x0140, serialNumber: 'fake-1' };

/** What the fake gadget does wrong, for the negative cases. */
export interface Faults {
  /** IN: flip the byte at this stream offset. */
  flipAt?: number;
  /** IN: deliver transfer k one byte short. */
  shortIn?: number;
  /** OUT: accept only part of transfer k. */
  shortOut?: number;
  /** Transfer k ends with this status instead of ok. */
  status?: { k: number; status: USBTransferStatus };
  /** Never complete transfer k (until the interface is released). */
  hangAt?: number;
}

/**
 * A WebUSB device double: one vendor interface (bulk IN 1, bulk OUT 2, 512-byte packets) whose
 * far end is the stream's other side: IN transfers carry the pattern (as the agent's source
 * would), OUT transfers are checked against it and checksummed (as the agent's sink would).
 */
export class FakeGadget {
  inCount = 0;
  outCount = 0;
  received = { bytes: 0, crc: 0, firstBad: -1 };
  released = false;
  private readonly pending = new Set<(err: Error) => void>();
  configuration: USBConfiguration | null = null;
  readonly vendorId = MATCH.vendorId;
  readonly productId = MATCH.productId;
  readonly serialNumber = MATCH.serialNumber;
  readonly configurations: USBConfiguration[];

  constructor(
    private readonly shape: StreamShape,
    private readonly faults: Faults = {},
  ) {
    const ep = (endpointNumber: number, direction: USBDirection) => ({ endpointNumber, direction, type: 'bulk' as USBEndpointType, packetSize: MPS });
    const alt = { alternateSetting: 0, interfaceClass: 0xff, interfaceSubclass: 0, interfaceProtocol: 0, interfaceName: 'fake', endpoints: [ep(1, 'in'), ep(2, 'out')] };
    this.configurations = [{ configurationValue: 1, configurationName: null, interfaces: [{ interfaceNumber: 0, alternate: alt, alternates: [alt], claimed: false }] } as unknown as USBConfiguration];
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {
    this.abortPending();
  }
  async selectConfiguration(v: number): Promise<void> {
    this.configuration = this.configurations.find((c) => c.configurationValue === v) ?? null;
  }
  async claimInterface(n: number): Promise<void> {
    assert.equal(n, 0);
  }
  async releaseInterface(): Promise<void> {
    this.released = true;
    this.abortPending();
  }

  transferIn(ep: number, length: number): Promise<USBInTransferResult> {
    assert.equal(ep, 1);
    const k = this.inCount++;
    return this.later(k, () => {
      const want = expectedLength(this.shape, k);
      assert.ok(length >= want && length % MPS === 0, `transfer ${k}: asked for ${length}, expected a multiple of ${MPS} >= ${want}`);
      const n = this.faults.shortIn === k ? want - 1 : want;
      const data = new Uint8Array(n);
      fillPattern(data, SEED, transferOffset(this.shape, k));
      const flip = this.faults.flipAt;
      if (flip !== undefined && flip >= transferOffset(this.shape, k) && flip < transferOffset(this.shape, k) + n) data[flip - transferOffset(this.shape, k)]! ^= 0x40;
      return { data: new DataView(data.buffer), status: 'ok' } as USBInTransferResult;
    });
  }

  transferOut(ep: number, data: ArrayBuffer | ArrayBufferView): Promise<USBOutTransferResult> {
    assert.equal(ep, 2);
    const k = this.outCount++;
    const view = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    const copy = Uint8Array.from(view); // WebUSB copies at call time
    return this.later(k, () => {
      const n = this.faults.shortOut === k ? copy.length - 1 : copy.length;
      const bad = verifyPattern(copy.subarray(0, n), SEED, transferOffset(this.shape, k));
      if (bad >= 0 && this.received.firstBad < 0) this.received.firstBad = transferOffset(this.shape, k) + bad;
      this.received.crc = zlib.crc32(copy.subarray(0, n), this.received.crc);
      this.received.bytes += n;
      return { bytesWritten: n, status: 'ok' } as USBOutTransferResult;
    });
  }

  /** Complete transfer k on a later tick (or never, for hangAt), with the fault's status if any. */
  private later<T extends { status?: USBTransferStatus }>(k: number, make: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.faults.hangAt === k) {
        this.pending.add(reject);
        return;
      }
      // A macrotask, as a real transfer completes: setTimeout (not setImmediate) exists in pages too.
      setTimeout(() => {
        try {
          const r = make();
          if (this.faults.status?.k === k) r.status = this.faults.status.status;
          resolve(r);
        } catch (err) {
          reject(err as Error);
        }
      }, 0);
    });
  }

  private abortPending(): void {
    for (const reject of this.pending) reject(Object.assign(new Error('The transfer was cancelled.'), { name: 'AbortError' }));
    this.pending.clear();
  }
}

/** A `navigator.usb` that grants exactly `dev`. */
export function fakeUsb(dev: FakeGadget): USB {
  return { getDevices: async () => [dev as unknown as USBDevice] } as unknown as USB;
}

/** A stream request for the fake device. */
export function request(direction: 'in' | 'out', shape: StreamShape, extra: Partial<WebUsbStreamRequest> = {}): WebUsbStreamRequest {
  return { ...shape, match: MATCH, direction, seed: SEED, depth: 4, timeoutMs: 10_000, ...extra };
}

/** A stream of `count` transfers of `size`, the last one byte short (as the suites cut them). */
export function shapeOf(size: number, count: number): StreamShape {
  return { transferSize: size, totalBytes: size * count - 1 };
}

/** The CRC-32 of a whole stream of the pattern, as a tally reports it. */
export function expectedCrc(shape: StreamShape): string {
  const all = new Uint8Array(shape.totalBytes);
  fillPattern(all, SEED, 0);
  return zlib.crc32(all).toString(16).padStart(8, '0');
}

/** Transfer sizes of the whole-stream cases. */
export const SIZES = [MPS - 1, MPS, MPS + 1, 64 * 1024, 1024 * 1024];
