/// <reference types="w3c-web-usb" />
/**
 * The page bundle (what Chromium runs, built by browser-bundle.ts) in a bare JS realm of node's
 * vm: no Buffer, no require, no zlib. The same streams must give the same reports as the stream
 * module gives in node. (The module's own tests are page/webusb-pipeline.test.ts.)
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vm from 'node:vm';
import { runWebUsbStream } from '../src/webusb/webusb-stream';
import { PAGE_BUNDLE_FILE } from '../src/webusb/webusb-page';
import type { WebUsbPageApi } from '../src/webusb/browser-entry';
import type { WebUsbStreamReport } from '../src/webusb/webusb-request';
import { FakeGadget, MPS, fakeUsb, request, shapeOf, type Faults } from './page/fake-gadget';

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
