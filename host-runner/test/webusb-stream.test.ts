/// <reference types="w3c-web-usb" />
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vm from 'node:vm';
import * as zlib from 'node:zlib';
import { fillPattern, verifyPattern } from '../src/oracle/pattern';
import { expectedLength, transferOffset, type StreamShape } from '../../gadget-agent/src/stream-layout';
import { runWebUsbStream } from '../src/webusb/webusb-stream';
import { PAGE_BUNDLE_FILE } from '../src/webusb/webusb-page';
import type { WebUsbPageApi } from '../src/webusb/browser-entry';
import type { WebUsbStreamReport, WebUsbStreamRequest } from '../src/webusb/webusb-request';

const MPS = 512;
const SEED = 0x5eed1234;
const MATCH = { vendorId: 0x1d6b, productId: 0x0140, serialNumber: 'fake-1' };

/** What the fake gadget does wrong, for the negative cases. */
interface Faults {
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
class FakeGadget {
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
      setImmediate(() => {
        try {
          const r = make();
          if (this.faults.status?.k === k) r.status = this.faults.status.status;
          resolve(r);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  private abortPending(): void {
    for (const reject of this.pending) reject(Object.assign(new Error('The transfer was cancelled.'), { name: 'AbortError' }));
    this.pending.clear();
  }
}

function fakeUsb(dev: FakeGadget): USB {
  return { getDevices: async () => [dev as unknown as USBDevice] } as unknown as USB;
}

function request(direction: 'in' | 'out', shape: StreamShape, extra: Partial<WebUsbStreamRequest> = {}): WebUsbStreamRequest {
  return { ...shape, match: MATCH, direction, seed: SEED, depth: 4, timeoutMs: 10_000, ...extra };
}

/** A stream of `count` transfers of `size`, the last one byte short (as the suites cut them). */
function shapeOf(size: number, count: number): StreamShape {
  return { transferSize: size, totalBytes: size * count - 1 };
}

function expectedCrc(shape: StreamShape): string {
  const all = new Uint8Array(shape.totalBytes);
  fillPattern(all, SEED, 0);
  return zlib.crc32(all).toString(16).padStart(8, '0');
}

const SIZES = [MPS - 1, MPS, MPS + 1, 64 * 1024, 1024 * 1024];

for (const size of SIZES) {
  test(`node: IN stream of ${size}-byte transfers is received whole and checked`, async () => {
    const shape = shapeOf(size, 6);
    const dev = new FakeGadget(shape);
    const r = await runWebUsbStream(fakeUsb(dev), request('in', shape), 'test host');
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.deepEqual(r.tally, { bytes: shape.totalBytes, transfers: 6, checksum: expectedCrc(shape), firstBadOffset: null, badTransfers: 0 });
    assert.equal(r.maxPacketSize, MPS);
    assert.equal(r.endpointNumber, 1);
    assert.equal(r.depth, 4);
    assert.ok(dev.released, 'the interface was released after the stream');
  });

  test(`node: OUT stream of ${size}-byte transfers sends exactly the pattern`, async () => {
    const shape = shapeOf(size, 6);
    const dev = new FakeGadget(shape);
    const r = await runWebUsbStream(fakeUsb(dev), request('out', shape), 'test host');
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(dev.received.firstBad, -1);
    assert.equal(dev.received.bytes, shape.totalBytes);
    assert.equal(r.tally.checksum, expectedCrc(shape));
    assert.equal(dev.received.crc.toString(16).padStart(8, '0'), r.tally.checksum);
  });
}

test('node: a flipped byte is caught at its stream offset', async () => {
  const shape = shapeOf(4096, 8);
  const r = await runWebUsbStream(fakeUsb(new FakeGadget(shape, { flipAt: 3 * 4096 + 77 })), request('in', shape), 'h');
  assert.equal(r.tally.firstBadOffset, 3 * 4096 + 77);
  assert.equal(r.tally.badTransfers, 1);
  assert.match(r.tally.fault ?? '', /transfer 3/);
});

test('node: a short IN transfer is caught at its end', async () => {
  const shape = shapeOf(4096, 8);
  const r = await runWebUsbStream(fakeUsb(new FakeGadget(shape, { shortIn: 2 })), request('in', shape), 'h');
  assert.equal(r.tally.firstBadOffset, 2 * 4096 + 4095);
  assert.match(r.tally.fault ?? '', /transfer 2: 4095 bytes, expected 4096/);
});

test('node: a short OUT transfer ends the stream with SHORT_WRITE', async () => {
  const shape = shapeOf(4096, 8);
  const r = await runWebUsbStream(fakeUsb(new FakeGadget(shape, { shortOut: 1 })), request('out', shape), 'h');
  assert.equal(r.error?.code, 'SHORT_WRITE');
  assert.match(r.error?.message ?? '', /transfer 1: the device took 4095 of 4096 bytes/);
});

test('node: a stall status becomes a STALL error', async () => {
  const shape = shapeOf(4096, 8);
  const r = await runWebUsbStream(fakeUsb(new FakeGadget(shape, { status: { k: 5, status: 'stall' } })), request('in', shape), 'h');
  assert.equal(r.error?.code, 'STALL');
  assert.equal(r.tally.transfers, 5);
});

test('node: a transfer that never completes hits the deadline; releasing the interface ends the rest', async () => {
  const shape = shapeOf(4096, 8);
  const dev = new FakeGadget(shape, { hangAt: 2 });
  const t0 = Date.now();
  const r = await runWebUsbStream(fakeUsb(dev), request('in', shape, { timeoutMs: 300 }), 'h');
  assert.equal(r.error?.code, 'TIMEOUT');
  assert.ok(dev.released);
  assert.ok(Date.now() - t0 < 3000, 'the pending transfer was aborted, not waited out');
});

test('node: an abort signal ends the stream with ABORTED and the reason', async () => {
  const shape = shapeOf(4096, 8);
  const ac = new AbortController();
  const dev = new FakeGadget(shape, { hangAt: 1 });
  setTimeout(() => ac.abort(new Error('the agent failed')), 50);
  const r = await runWebUsbStream(fakeUsb(dev), request('in', shape), 'h', ac.signal);
  assert.equal(r.error?.code, 'ABORTED');
  assert.match(r.error?.message ?? '', /the agent failed/);
});

test('node: a device that is not granted gives NOT_FOUND naming what is', async () => {
  const shape = shapeOf(4096, 2);
  const other = new FakeGadget(shape);
  const r = await runWebUsbStream(fakeUsb(other), request('in', shape, { match: { ...MATCH, serialNumber: 'other' }, findTimeoutMs: 100 }), 'h');
  assert.equal(r.error?.code, 'NOT_FOUND');
  assert.match(r.error?.message ?? '', /1d6b:0140 serial other .*granted: 1d6b:0140 serial fake-1/);
});

// The page bundle (what Chromium runs) in a bare JS realm: no Buffer, no require, no zlib. The same
// streams must give the same reports as in node, byte checks and checksums included.
function loadBundle(dev: FakeGadget): WebUsbPageApi {
  const ctx = vm.createContext({
    navigator: { usb: fakeUsb(dev), userAgent: 'vm' },
    isSecureContext: true,
    setTimeout,
    clearTimeout,
    performance,
    AbortController,
    console,
  });
  vm.runInContext(fs.readFileSync(PAGE_BUNDLE_FILE, 'utf8'), ctx, { filename: 'webusb-page.bundle.js' });
  return (ctx as unknown as { ffsWebUsb: WebUsbPageApi }).ffsWebUsb;
}

function comparable(r: WebUsbStreamReport): Omit<WebUsbStreamReport, 'elapsedMs' | 'bytesPerSecond' | 'oracleMs' | 'host'> {
  const { elapsedMs: _e, bytesPerSecond: _b, oracleMs: _o, host: _h, ...rest } = r;
  return JSON.parse(JSON.stringify(rest)) as typeof rest;
}

test('bundle: the page script has no node dependency left', () => {
  const text = fs.readFileSync(PAGE_BUNDLE_FILE, 'utf8');
  assert.doesNotMatch(text, /\brequire\(/);
  assert.doesNotMatch(text, /from\s+["']node:/);
});

for (const [direction, faults] of [
  ['in', {}],
  ['out', {}],
  ['in', { flipAt: 700_001 }],
  ['in', { shortIn: 3 }],
  ['out', { shortOut: 2 }],
] as Array<['in' | 'out', Faults]>) {
  test(`bundle: ${direction.toUpperCase()} ${JSON.stringify(faults)} gives the report node gives`, async () => {
    for (const size of [MPS - 1, MPS + 1, 256 * 1024]) {
      const shape = shapeOf(size, 5);
      const inNode = await runWebUsbStream(fakeUsb(new FakeGadget(shape, faults)), request(direction, shape), 'node');
      const page = loadBundle(new FakeGadget(shape, faults));
      assert.deepEqual(JSON.parse(JSON.stringify(page.probe())), { secureContext: true, webusb: true, userAgent: 'vm' });
      const inPage = await page.run(request(direction, shape), 'page');
      assert.equal(inPage.host, 'page');
      assert.deepEqual(comparable(inPage), comparable(inNode), `size ${size}`);
    }
  });
}

test('bundle: granted devices are listed as vvvv:pppp serial S', async () => {
  const page = loadBundle(new FakeGadget(shapeOf(512, 1)));
  assert.deepEqual(JSON.parse(JSON.stringify(await page.grantedDevices())), ['1d6b:0140 serial fake-1']);
});
