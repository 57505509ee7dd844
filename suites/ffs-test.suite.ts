import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as usb from 'usb';
import { labContext, type AgentHandle } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, measure, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { UsbFunctionHandle } from '@ffs-lab/host-runner/usb/usb-function-handle';
import { openUsbFunction, type OpenedFunction } from '@ffs-lab/host-runner/usb/usb-function-open';
import type { GadgetSpec } from '@ffs-lab/contract/protocol';
import { mbpsSince } from './throughput';

/** ffs-test's transfer size: it reads and writes 8 KiB buffers. */
const CHUNK = 8 * 1024;
const TRANSFERS = 64;

/**
 * A gadget nobody here wrote: the kernel's own tools/usb/ffs-test (source/sink, pattern 0 =
 * zeros), built from the same linux-source tree, run by the agent under a configfs gadget on
 * dummy_udc.0. The host side (node usb) checks enumeration and moves data both ways.
 */
describe('ffs-test: the kernel\'s own FunctionFS source/sink gadget', function () {
  blockInfo(this, { needs: ['ffs-test'], tags: ['interop', 'stream'] });
  this.timeout(60_000);
  const spec: GadgetSpec = {
    name: 'ffs-test',
    vendorId: 0x1d6b,
    productId: 0x0104,
    manufacturer: 'ffs-lab',
    product: 'ffs-test source/sink',
    serial: crypto.randomBytes(6).toString('hex'),
    function: 'ffstest',
  };
  let h: AgentHandle | undefined;
  let found: OpenedFunction;
  let dev: UsbFunctionHandle;

  before(async function () {
    const ctx = labContext();
    if (!ctx.tools) skipWithReason(this, 'lab tools (ffs-test) not available on this target');
    h = await ctx.startAgent();
    await h.agent.call('gadget.create', spec);
    await h.agent.call('program.start', { argv: [ctx.tools!.ffsTest], cwdInMount: true, waitFor: ['ep1', 'ep2'] });
    await h.agent.call('gadget.bind', {});
    found = await openUsbFunction({ vendorId: spec.vendorId, productId: spec.productId, serial: spec.serial });
    dev = found.handle;
  });

  after(async function () {
    await dev?.close();
    if (h) {
      const status = await h.agent.call('program.status', {}).catch(() => undefined);
      if (status) attachLog(this, `ffs-test output:\n${status.output.join('\n')}`);
      await h.agent.call('gadget.remove', {}).catch(() => undefined);
      await h.close();
    }
  });

  testCase('enumerates', 'enumerates with the IDs and strings the agent declared', async function () {
    const d = found.device.deviceDescriptor;
    assert.equal(d.idVendor, spec.vendorId);
    assert.equal(d.idProduct, spec.productId);
    assert.equal(await dev.stringDescriptor(d.iManufacturer), spec.manufacturer);
    assert.equal(await dev.stringDescriptor(d.iProduct), spec.product);
    assert.equal(await dev.stringDescriptor(d.iSerialNumber), spec.serial);
  });

  testCase('source-sink-interface', 'has one vendor-specific interface named "Source/Sink" with bulk IN and OUT at the link speed\'s packet size', async function () {
    const ifd = dev.iface.descriptor;
    assert.equal(ifd.bInterfaceClass, 0xff, 'interface class must be vendor-specific');
    assert.equal(ifd.bNumEndpoints, 2);
    assert.equal(await dev.stringDescriptor(ifd.iInterface), 'Source/Sink');
    const mps = ({ 12: 64, 480: 512, 5000: 1024 } as Record<number, number>)[found.sysfs.speedMbps];
    assert.ok(mps, `unexpected link speed ${found.sysfs.speedMbps} Mbit/s`);
    for (const ep of [dev.bulkIn, dev.bulkOut]) {
      assert.equal(ep.transferType, usb.usb.LIBUSB_TRANSFER_TYPE_BULK);
      assert.equal(ep.descriptor.wMaxPacketSize, mps, `endpoint 0x${ep.address.toString(16)} max packet size`);
    }
    measure(this, 'link speed', found.sysfs.speedMbps, 'Mbit/s');
  });

  testCase('in-zeros', `IN: ${TRANSFERS} transfers of 8 KiB arrive whole, all zeros (ffs-test pattern 0)`, async function () {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < TRANSFERS; i++) {
      const data = await dev.bulkIn.transferAsync(CHUNK);
      assert.ok(data, `transfer ${i} returned no data`);
      assert.equal(data.length, CHUNK, `transfer ${i} length`);
      const bad = data.findIndex((b) => b !== 0);
      assert.equal(bad, -1, `transfer ${i}: byte ${bad} is 0x${data[bad]?.toString(16)}, expected 0x00`);
    }
    measure(this, 'IN throughput', mbpsSince(TRANSFERS * CHUNK, t0), 'MB/s');
  });

  testCase('out-zeros', `OUT: ${TRANSFERS} transfers of 8 KiB of zeros are accepted and ffs-test finds no bad byte`, async function () {
    const zeros = Buffer.alloc(CHUNK);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < TRANSFERS; i++) assert.equal(await dev.bulkOut.transferAsync(zeros), CHUNK, `transfer ${i} length`);
    measure(this, 'OUT throughput', mbpsSince(TRANSFERS * CHUNK, t0), 'MB/s');
    const status = await h!.agent.call('program.status', {});
    assert.ok(status.running, `ffs-test exited: ${status.output.slice(-3).join(' | ')}`);
    assert.ok(!status.output.some((l) => /bad OUT byte/.test(l)), `ffs-test reported: ${status.output.find((l) => /bad OUT byte/.test(l))}`);
  });

  testCase('out-wrong-byte-caught', 'OUT: one wrong byte is caught by ffs-test (the check can fail)', async function () {
    const buf = Buffer.alloc(CHUNK);
    buf[4242] = 0x5a;
    await dev.bulkOut.transferAsync(buf);
    // ffs-test reports the byte, dumps the whole 8 KiB buffer in hex (256 lines) and ends its ep2
    // thread: wait for that end, so the report is looked for after the dump, not raced against it.
    const deadline = Date.now() + 10_000;
    let output: string[] = [];
    while (Date.now() < deadline) {
      output = (await h!.agent.call('program.status', {})).output;
      if (output.some((l) => /ep2: ends/.test(l))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const report = output.find((l) => /bad OUT byte/.test(l));
    assert.ok(report, `ffs-test did not report the corrupted byte within 10 s; its last lines: ${output.slice(-3).join(' | ')}`);
    assert.match(report, /bad OUT byte 4242, expected 00 got 5a/);
    assert.ok(output.some((l) => /ep2: ends/.test(l)), 'ffs-test reported the byte but its OUT thread did not end');
  });
});
