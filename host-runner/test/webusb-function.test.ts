/// <reference types="w3c-web-usb" />
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { asCodedError, bulkPairOf, findDevice, matchesDevice } from '../src/webusb/webusb-function';

type Ep = Pick<USBEndpoint, 'endpointNumber' | 'direction' | 'type' | 'packetSize'>;

function ep(endpointNumber: number, direction: USBDirection, type: USBEndpointType = 'bulk', packetSize = 512): Ep {
  return { endpointNumber, direction, type, packetSize };
}

function config(...ifaces: Array<[number, Ep[]]>): Pick<USBDevice, 'configuration' | 'configurations'> {
  const c = {
    configurationValue: 1,
    interfaces: ifaces.map(([interfaceClass, endpoints], i) => {
      const alt = { alternateSetting: 0, interfaceClass, interfaceSubclass: 0, interfaceProtocol: 0, endpoints };
      return { interfaceNumber: i, alternate: alt, alternates: [alt], claimed: false };
    }),
  } as unknown as USBConfiguration;
  return { configuration: null, configurations: [c] };
}

test('bulkPairOf finds the vendor interface and its bulk pair, by direction, whatever the numbers', () => {
  assert.deepEqual(bulkPairOf(config([0xff, [ep(3, 'out'), ep(1, 'in')]])), { interfaceNumber: 0, inEndpoint: 1, outEndpoint: 3, packetSize: 512 });
});

test('bulkPairOf skips interfaces that are not vendor-specific or lack a bulk pair', () => {
  const dev = config([0x08, [ep(1, 'in'), ep(2, 'out')]], [0xff, [ep(1, 'in', 'interrupt', 64), ep(2, 'out')]], [0xff, [ep(5, 'in', 'bulk', 64), ep(6, 'out', 'bulk', 64)]]);
  assert.deepEqual(bulkPairOf(dev), { interfaceNumber: 2, inEndpoint: 5, outEndpoint: 6, packetSize: 64 });
});

test('bulkPairOf names what the configuration holds when nothing fits', () => {
  assert.throws(
    () => bulkPairOf(config([0x08, [ep(1, 'in'), ep(2, 'out')]])),
    (e: Error & { code?: string }) => e.code === 'NO_BULK_PAIR' && /interface 0 class 0x8 \(bulk in 1, bulk out 2\)/.test(e.message),
  );
  assert.throws(() => bulkPairOf({ configuration: null, configurations: [] }), /no configuration/);
  assert.throws(() => bulkPairOf(config([0xff, [ep(1, 'in', 'bulk', 512), ep(2, 'out', 'bulk', 64)]])), /packet size 512 differs from bulk OUT 64/);
});

test('matchesDevice: VID and PID always, the serial when given', () => {
  const d = { vendorId: 0x1d6b, productId: 0x0140, serialNumber: 'abc' };
  assert.ok(matchesDevice(d, { vendorId: 0x1d6b, productId: 0x0140 }));
  assert.ok(matchesDevice(d, { vendorId: 0x1d6b, productId: 0x0140, serialNumber: 'abc' }));
  assert.ok(!matchesDevice(d, { vendorId: 0x1d6b, productId: 0x0140, serialNumber: 'abd' }));
  assert.ok(!matchesDevice(d, { vendorId: 0x1d6b, productId: 0x0141 }));
});

test('findDevice waits for the device to be listed', async () => {
  let calls = 0;
  const dev = { vendorId: 1, productId: 2, serialNumber: 's' } as USBDevice;
  const usb = { getDevices: async () => (++calls >= 3 ? [dev] : []) } as unknown as USB;
  assert.equal(await findDevice(usb, { vendorId: 1, productId: 2 }, 5000), dev);
  assert.equal(calls, 3);
});

test('asCodedError keeps a code, names a DOMException, wraps anything else', () => {
  const coded = Object.assign(new Error('x'), { code: 'STALL' });
  assert.equal(asCodedError(coded), coded);
  const dom = Object.assign(new Error('The transfer was cancelled.'), { name: 'AbortError', code: 20 });
  assert.deepEqual({ ...asCodedError(dom, 'transfer 3') }, { code: 'WEBUSB' });
  assert.equal(asCodedError(dom, 'transfer 3').message, 'transfer 3: AbortError: The transfer was cancelled.');
  assert.equal(asCodedError('boom').message, 'boom');
});
