/// <reference types="w3c-web-usb" />
/**
 * The page's stream module (webusb-stream.ts: the transfer pipeline, the pattern oracle, the
 * tally) against a WebUSB device double: whole streams both ways, and every way a stream ends
 * badly. Runs in node and, through playwright-test, in Chromium.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { runWebUsbStream } from '../../src/webusb/webusb-stream';
import { FakeGadget, MATCH, MPS, SIZES, expectedCrc, fakeUsb, request, shapeOf } from './fake-gadget';

describe('the WebUSB stream module against a device double', () => {
  for (const size of SIZES) {
    it(`IN stream of ${size}-byte transfers is received whole and checked`, async () => {
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

    it(`OUT stream of ${size}-byte transfers sends exactly the pattern`, async () => {
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

  it('a flipped byte is caught at its stream offset', async () => {
    const shape = shapeOf(4096, 8);
    const r = await runWebUsbStream(fakeUsb(new FakeGadget(shape, { flipAt: 3 * 4096 + 77 })), request('in', shape), 'h');
    assert.equal(r.tally.firstBadOffset, 3 * 4096 + 77);
    assert.equal(r.tally.badTransfers, 1);
    assert.match(r.tally.fault ?? '', /transfer 3/);
  });

  it('a short IN transfer is caught at its end', async () => {
    const shape = shapeOf(4096, 8);
    const r = await runWebUsbStream(fakeUsb(new FakeGadget(shape, { shortIn: 2 })), request('in', shape), 'h');
    assert.equal(r.tally.firstBadOffset, 2 * 4096 + 4095);
    assert.match(r.tally.fault ?? '', /transfer 2: 4095 bytes, expected 4096/);
  });

  it('a short OUT transfer ends the stream with SHORT_WRITE', async () => {
    const shape = shapeOf(4096, 8);
    const r = await runWebUsbStream(fakeUsb(new FakeGadget(shape, { shortOut: 1 })), request('out', shape), 'h');
    assert.equal(r.error?.code, 'SHORT_WRITE');
    assert.match(r.error?.message ?? '', /transfer 1: the device took 4095 of 4096 bytes/);
  });

  it('a stall status becomes a STALL error', async () => {
    const shape = shapeOf(4096, 8);
    const r = await runWebUsbStream(fakeUsb(new FakeGadget(shape, { status: { k: 5, status: 'stall' } })), request('in', shape), 'h');
    assert.equal(r.error?.code, 'STALL');
    assert.equal(r.tally.transfers, 5);
  });

  it('a transfer that never completes hits the deadline; releasing the interface ends the rest', async () => {
    const shape = shapeOf(4096, 8);
    const dev = new FakeGadget(shape, { hangAt: 2 });
    const t0 = Date.now();
    const r = await runWebUsbStream(fakeUsb(dev), request('in', shape, { timeoutMs: 300 }), 'h');
    assert.equal(r.error?.code, 'TIMEOUT');
    assert.ok(dev.released);
    assert.ok(Date.now() - t0 < 3000, 'the pending transfer was aborted, not waited out');
  });

  it('an abort signal ends the stream with ABORTED and the reason', async () => {
    const shape = shapeOf(4096, 8);
    const ac = new AbortController();
    const dev = new FakeGadget(shape, { hangAt: 1 });
    setTimeout(() => ac.abort(new Error('the agent failed')), 50);
    const r = await runWebUsbStream(fakeUsb(dev), request('in', shape), 'h', ac.signal);
    assert.equal(r.error?.code, 'ABORTED');
    assert.match(r.error?.message ?? '', /the agent failed/);
  });

  it('a device that is not granted gives NOT_FOUND naming what is', async () => {
    const shape = shapeOf(4096, 2);
    const other = new FakeGadget(shape);
    const r = await runWebUsbStream(fakeUsb(other), request('in', shape, { match: { ...MATCH, serialNumber: 'other' }, findTimeoutMs: 100 }), 'h');
    assert.equal(r.error?.code, 'NOT_FOUND');
    assert.match(r.error?.message ?? '', /1d6b:0140 serial other .*granted: 1d6b:0140 serial fake-1/);
  });
});
