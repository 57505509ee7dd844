import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as usb from 'usb';
import { labContext, type AgentHandle } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, measure, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { UsbFunctionHandle } from '@ffs-lab/host-runner/usb/usb-function-handle';
import { openUsbFunction, type OpenedFunction } from '@ffs-lab/host-runner/usb/usb-function-open';
import { waitForUsbDevice } from '@ffs-lab/host-runner/usb/usb-device-wait';
import { idPathOf } from '@ffs-lab/host-runner/usb/usb-port';
import type { FunctionCreateParams, FunctionInfo } from '@ffs-lab/contract/protocol';
import type { Speed } from '@ffs-lab/contract/function-spec';

const TYPE_NAMES: Record<number, string> = {
  [usb.usb.LIBUSB_TRANSFER_TYPE_BULK]: 'bulk',
  [usb.usb.LIBUSB_TRANSFER_TYPE_INTERRUPT]: 'interrupt',
  [usb.usb.LIBUSB_TRANSFER_TYPE_ISOCHRONOUS]: 'isochronous',
};

function speedOf(mbps: number): Speed {
  if (mbps >= 5000) return 'ss';
  if (mbps >= 480) return 'hs';
  return 'fs';
}

/**
 * What the host sees equals what the agent declared: a function the agent serves itself
 * (descriptors written through the addon) with bulk IN, bulk OUT and interrupt IN endpoints,
 * distinctive IDs, strings, class codes and power. The host reads it with node usb (libusb);
 * endpoint addresses are compared with what the UDC assigned (FUNCTIONFS_ENDPOINT_DESC on the
 * agent), packet sizes with the declaration for the negotiated link speed.
 */
describe('enumeration: the host sees what the agent declared', function () {
  blockInfo(this, { tags: ['descriptors'] });
  this.timeout(60_000);
  const serial = crypto.randomBytes(6).toString('hex');
  const params: FunctionCreateParams = {
    gadget: {
      name: 'enumeration',
      vendorId: 0x1d6b,
      productId: 0x0120,
      bcdDevice: 0x0342,
      manufacturer: 'ffs-lab enumeration maker',
      product: 'ffs-lab enumeration product',
      serial,
      configuration: 'ffs-lab enumeration config',
      maxPowerMa: 120,
      function: 'enumeration',
    },
    function: {
      interfaceClass: 0xff,
      interfaceSubclass: 0x42,
      interfaceProtocol: 0x07,
      endpoints: [
        { number: 1, direction: 'in', type: 'bulk' },
        { number: 2, direction: 'out', type: 'bulk' },
        { number: 3, direction: 'in', type: 'interrupt', maxPacket: { fs: 32, hs: 64, ss: 64 }, interval: 4 },
      ],
    },
    strings: ['ffs-lab enumeration interface'],
  };
  let h: AgentHandle | undefined;
  let declared: FunctionInfo;
  let enabled: FunctionInfo;
  let found: OpenedFunction;
  let dev: UsbFunctionHandle;
  let speed: Speed;

  before(async function () {
    const ctx = labContext();
    h = await ctx.startAgent();
    declared = await h.agent.call('function.create', params);
    await h.agent.call('gadget.bind', ctx.udc ? { udc: ctx.udc } : {});
    found = await openUsbFunction({ vendorId: params.gadget.vendorId, productId: params.gadget.productId, serial }, ctx.usb.enumerateTimeoutMs);
    dev = found.handle;
    enabled = await h.agent.call('function.status', { waitEnabledMs: 10_000 }, 15_000);
    speed = speedOf(found.sysfs.speedMbps);
  });

  after(async function () {
    await dev?.close();
    if (h) {
      await h.agent.call('gadget.remove', {}).catch(() => undefined);
      await h.close();
    }
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && h) attachLog(this, `agent log (last lines):\n${h.agent.log.slice(-30).join('\n')}`);
  });

  testCase('declaration-echoed', 'the agent reports its declaration back as given, and the function enabled', function () {
    assert.deepEqual(declared.strings, params.strings);
    assert.deepEqual(
      declared.endpoints.map((e) => [e.file, e.number, e.direction, e.type]),
      [['ep1', 1, 'in', 'bulk'], ['ep2', 2, 'out', 'bulk'], ['ep3', 3, 'in', 'interrupt']],
    );
    assert.equal(declared.endpoints[2]!.maxPacket.hs, 64);
    assert.equal(declared.endpoints[0]!.maxPacket.hs, 512, 'the bulk default at high speed');
    assert.equal(enabled.enabled, true, `not enabled; ep0 events: ${enabled.events.join(', ')}`);
    assert.ok(enabled.events.includes('BIND') && enabled.events.includes('ENABLE'), `ep0 events: ${enabled.events.join(', ')}`);
  });

  testCase('device-descriptor', 'device descriptor: IDs, release and the three strings', async function () {
    const d = found.device.deviceDescriptor;
    assert.equal(d.idVendor, params.gadget.vendorId);
    assert.equal(d.idProduct, params.gadget.productId);
    assert.equal(d.bcdDevice, params.gadget.bcdDevice);
    assert.equal(d.bNumConfigurations, 1);
    assert.equal(await dev.stringDescriptor(d.iManufacturer), params.gadget.manufacturer);
    assert.equal(await dev.stringDescriptor(d.iProduct), params.gadget.product);
    assert.equal(await dev.stringDescriptor(d.iSerialNumber), serial);
  });

  testCase('configuration', 'configuration: its string and bMaxPower at the link speed', async function () {
    const c = found.device.configDescriptor!;
    assert.ok(c, 'no configuration descriptor');
    assert.equal(c.bNumInterfaces, 1);
    assert.equal(await dev.stringDescriptor(c.iConfiguration), params.gadget.configuration);
    // bMaxPower counts 2 mA units below SuperSpeed, 8 mA at SuperSpeed (composite rounds up).
    const unit = speed === 'ss' ? 8 : 2;
    assert.equal(c.bMaxPower, Math.ceil(params.gadget.maxPowerMa! / unit));
  });

  testCase('interface', 'interface: class codes, name and endpoint count', async function () {
    const i = dev.iface.descriptor;
    assert.equal(i.bInterfaceClass, params.function!.interfaceClass);
    assert.equal(i.bInterfaceSubClass, params.function!.interfaceSubclass);
    assert.equal(i.bInterfaceProtocol, params.function!.interfaceProtocol);
    assert.equal(i.bNumEndpoints, params.function!.endpoints.length);
    assert.equal(await dev.stringDescriptor(i.iInterface), params.strings![0]);
  });

  testCase('endpoints', 'endpoints: direction, type, address as the UDC assigned it, max packet size and interval at the link speed', function () {
    measure(this, 'link speed', found.sysfs.speedMbps, 'Mbit/s');
    const seen = dev.iface.descriptor.endpoints;
    assert.equal(seen.length, declared.endpoints.length);
    declared.endpoints.forEach((want, i) => {
      const got = seen[i]!;
      const at = `endpoint ${i} (${want.file}, declared ${want.number} ${want.direction} ${want.type})`;
      const cfg = enabled.endpoints[i]!.configured;
      assert.ok(cfg, `${at}: the agent has no configured descriptor for it`);
      assert.equal(got.bEndpointAddress, cfg.address, `${at}: host address vs FUNCTIONFS_ENDPOINT_DESC`);
      assert.equal(got.bEndpointAddress & 0x80 ? 'in' : 'out', want.direction, `${at}: direction`);
      assert.equal(TYPE_NAMES[got.bmAttributes & 3], want.type, `${at}: transfer type`);
      assert.equal(got.wMaxPacketSize, want.maxPacket[speed], `${at}: wMaxPacketSize at ${speed}`);
      assert.equal(got.wMaxPacketSize, cfg.maxPacketSize, `${at}: wMaxPacketSize vs the agent's configured descriptor`);
      if (want.type === 'interrupt') assert.equal(got.bInterval, want.interval, `${at}: bInterval`);
    });
  });
});

/**
 * Several boards of one kind on one host PC: their gadgets carry the same VID:PID (and here the
 * same serial), so only the host port tells them apart (lab config `usb.port`, `--usb-port`).
 * Two agent sessions bind one gadget each to two UDCs (the lab with `dummy_hcd.num=2`: one
 * dummy_hcd, and so one root port, per UDC); the host must find each on its own port, by sysfs
 * name and by udev ID_PATH, and nothing on a port where nothing is plugged in.
 */
describe('enumeration: two boards of one kind on one host, told apart by port', function () {
  blockInfo(this, { tags: ['usb-port'] });
  this.timeout(90_000);
  const sessions: AgentHandle[] = [];
  after(async () => {
    for (const s of sessions) await s.close();
  });

  testCase('two-udcs-by-port', 'two gadgets with one VID:PID and one serial on two UDCs: each is found on its own port, by sysfs name and by ID_PATH', async function () {
    const ctx = labContext();
    sessions.push(await ctx.startAgent());
    const udcs = sessions[0]!.agent.hello!.udcs.filter((u) => /^dummy_udc\.\d+$/.test(u)).sort();
    if (udcs.length < 2) skipWithReason(this, `needs two dummy_hcd UDCs (the lab with --kernel-append dummy_hcd.num=2); this kernel has ${udcs.join(', ') || 'none'}`);
    sessions.push(await ctx.startAgent());
    const serial = crypto.randomBytes(6).toString('hex');
    const boards = udcs.slice(0, 2).map((udc, i) => ({ udc, product: `ffs-lab board ${i}`, idPath: `platform-${udc.replace('dummy_udc', 'dummy_hcd')}-usb-0:1` }));
    for (const [i, b] of boards.entries()) {
      const agent = sessions[i]!.agent;
      await agent.call('function.create', { gadget: { name: `port-${i}`, vendorId: 0x1d6b, productId: 0x01d2, manufacturer: 'ffs-lab', product: b.product, serial, function: `port_${i}` } });
      await agent.call('gadget.bind', { udc: b.udc });
    }
    for (const b of boards) {
      const byIdPath = await waitForUsbDevice({ vendorId: 0x1d6b, productId: 0x01d2, serial, port: b.idPath }, ctx.usb.enumerateTimeoutMs);
      assert.equal(fs.readFileSync(`/sys/bus/usb/devices/${byIdPath.sysfs.name}/product`, 'utf8').trim(), b.product, `ID_PATH ${b.idPath} found ${byIdPath.sysfs.name}`);
      assert.equal(idPathOf(byIdPath.sysfs.name), b.idPath);
      // udev's own ID_PATH, when udev runs here (it does in the lab): our port names are labgrid's.
      const udev = spawnSync('udevadm', ['info', '-q', 'property', '-p', `/sys/bus/usb/devices/${byIdPath.sysfs.name}`], { encoding: 'utf8' });
      if (udev.status === 0) assert.equal(/^ID_PATH=(.*)$/m.exec(udev.stdout)?.[1], b.idPath, `udev's ID_PATH of ${byIdPath.sysfs.name}`);
      attachLog(this, udev.status === 0 ? `udev's ID_PATH of ${byIdPath.sysfs.name} agrees` : `udevadm not available here (${udev.error?.message ?? `exit ${udev.status}`}): ID_PATH not compared with udev's`);
      const byName = await waitForUsbDevice({ vendorId: 0x1d6b, productId: 0x01d2, serial, port: byIdPath.sysfs.name }, 2_000);
      assert.equal(byName.sysfs.name, byIdPath.sysfs.name, 'the sysfs name of the port finds the same device');
      attachLog(this, `${b.udc}: ${b.product} on ${byIdPath.sysfs.name} (${b.idPath})`);
    }
    await assert.rejects(waitForUsbDevice({ vendorId: 0x1d6b, productId: 0x01d2, serial, port: '9-9' }, 500), /on port 9-9 did not enumerate within 500 ms/);
  });
});
