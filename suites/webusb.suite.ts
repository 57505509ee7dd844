import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { labContext, type AgentHandle } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, measure, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { waitForUsbDevice } from '@ffs-lab/host-runner/usb/usb-device-wait';
import { ChromiumWebUsbHost } from '@ffs-lab/host-runner/webusb/chromium-host';
import { installChromiumPolicy, type InstalledPolicy } from '@ffs-lab/host-runner/webusb/chromium-policy';
import { chromiumExecutable, chromiumMissingReason } from '@ffs-lab/host-runner/webusb/chromium-prerequisites';
import { NodeWebUsbHost } from '@ffs-lab/host-runner/webusb/node-webusb-host';
import { VENDOR_SPECIFIC_CLASS } from '@ffs-lab/host-runner/webusb/webusb-function';
import type { WebUsbHost } from '@ffs-lab/host-runner/webusb/webusb-host';
import { PAGE_ORIGIN } from '@ffs-lab/host-runner/webusb/webusb-page';
import { runWebUsbPairedStream, type WebUsbPairedResult } from '@ffs-lab/host-runner/webusb/webusb-paired-stream';
import type { WebUsbMatch, WebUsbStreamReport } from '@ffs-lab/host-runner/webusb/webusb-request';
import type { StreamShape } from '@ffs-lab/contract/stream-layout';

const KiB = 1024;
const MiB = 1024 * KiB;
const VENDOR_ID = 0x1d6b;
const PRODUCT_ID = 0x0140;
/** The gadget's end runs in AIO mode: it keeps a queue on every kernel (mmap may be absent). */
const GADGET_MODE = 'aio';
/** Transfers pending on both ends in the matrix. */
const MATRIX_DEPTH = 4;
/** A matrix case moves about this much: between 4 and 64 transfers. */
const CASE_BYTES = 8 * MiB;
/**
 * Sizes by name, with the name's part of their tests' case names; `mps` is the bulk endpoints'
 * wMaxPacketSize at the link speed, known after enumeration.
 */
const SIZES: Array<[string, string, (mps: number) => number]> = [
  ['mps-1', 'mps-minus1', (m) => m - 1],
  ['mps', 'mps', (m) => m],
  ['mps+1', 'mps-plus1', (m) => m + 1],
  ['64 KiB', '64k', () => 64 * KiB],
  ['1 MiB', '1m', () => MiB],
  ['4 MiB', '4m', () => 4 * MiB],
];
/** The streams both hosts run for the throughput comparison (every byte checked there too); `key` goes in case names. */
const FIGURES: Array<{ name: string; key: string; transferSize: number; totalBytes: number; depth: number }> = [
  { name: '16 MiB in 64 KiB transfers, depth 8', key: '64k', transferSize: 64 * KiB, totalBytes: 16 * MiB, depth: 8 },
  { name: '32 MiB in 1 MiB transfers, depth 8', key: '1m', transferSize: MiB, totalBytes: 32 * MiB, depth: 8 },
];
/** Stream kinds: the kind, its title words and its part of case names. */
const KINDS: Array<['source' | 'sink', string, 'in' | 'out']> = [
  ['source', 'IN (gadget to host)', 'in'],
  ['sink', 'OUT (host to gadget)', 'out'],
];

/** A matrix case: clamp(CASE_BYTES / size, 4, 64) transfers, the last one byte short (a stream also ends on a short transfer). */
function caseShape(size: number): StreamShape {
  const count = Math.max(4, Math.min(64, Math.floor(CASE_BYTES / size)));
  return { transferSize: size, totalBytes: count * size - 1 };
}

/** A deadline generous for Chromium on TCG: 30 s, plus 4 s per MB. */
function deadline(bytes: number): number {
  return 30_000 + Math.ceil(bytes / 250);
}

function mbps(bytesPerSecond: number): number {
  return Math.round(bytesPerSecond / 1e5) / 10;
}

/** Share of a host end's stream time spent making or checking pattern bytes and their CRC (%). */
function oracleShare(r: WebUsbStreamReport): number {
  return r.elapsedMs > 0 ? Math.round((r.oracleMs / r.elapsedMs) * 100) : 0;
}

type HostKey = 'node' | 'chromium';

/**
 * WebUSB as a host: the integrity streams run from Chromium's `navigator.usb` (Debian's Chromium,
 * headless, driven by playwright-core, the device granted to a fixed origin by the
 * WebUsbAllowDevicesForUrls policy) and from node usb's WebUSB class, with one stream module
 * (host-runner/src/webusb/webusb-stream.ts) for both, against the agent's AIO streams on a
 * vendor-specific function. Every byte is checked by the pattern oracle on the receiving side,
 * counts and CRC-32 compared on both sides; the same throughput streams run on both hosts and
 * their figures are reported side by side.
 */
describe('webusb: integrity streams from Chromium navigator.usb and node usb WebUSB', function () {
  blockInfo(this, { tags: ['webusb', 'stream'] });
  this.timeout(120_000);
  let h: AgentHandle | undefined;
  let mps = 0;
  let interfaceClass = -1;
  const seed = crypto.randomInt(1, 2 ** 31);
  const match: WebUsbMatch = { vendorId: VENDOR_ID, productId: PRODUCT_ID, serialNumber: crypto.randomBytes(6).toString('hex') };
  /** Each figure stream's result per host, for the side-by-side tests. */
  const figures = new Map<string, Partial<Record<HostKey, WebUsbPairedResult>>>();
  /** Why the Chromium block was skipped, for the side-by-side tests. */
  let chromiumSkipped: string | undefined;

  before(async function () {
    const ctx = labContext();
    h = await ctx.startAgent();
    const info = await h.agent.call('function.create', {
      gadget: { name: 'webusb', vendorId: VENDOR_ID, productId: PRODUCT_ID, manufacturer: 'ffs-lab', product: 'webusb streams', serial: match.serialNumber!, function: 'webusb' },
    });
    interfaceClass = info.interfaceClass;
    await h.agent.call('gadget.bind', ctx.udc ? { udc: ctx.udc } : {});
    await waitForUsbDevice({ vendorId: VENDOR_ID, productId: PRODUCT_ID, serial: match.serialNumber! }, ctx.usb.enumerateTimeoutMs);
    const status = await h.agent.call('function.status', { waitEnabledMs: 10_000 }, 15_000);
    const sizes = status.endpoints.map((e) => e.configured?.maxPacketSize ?? 0);
    assert.ok(sizes.length >= 2 && sizes.every((s) => s > 0 && s === sizes[0]), `bulk packet sizes as configured: ${sizes.join(', ')}`);
    mps = sizes[0]!;
  });

  after(async function () {
    await h?.agent.call('gadget.remove', {}).catch(() => undefined);
    await h?.close();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && h) attachLog(this, `agent log (last lines):\n${h.agent.log.slice(-30).join('\n')}`);
  });

  testCase('vendor-specific-class', 'the gadget interface is vendor-specific (class 0xff), which WebUSB lets a page claim', function () {
    assert.equal(interfaceClass, VENDOR_SPECIFIC_CLASS);
  });

  /** One stream, both ends checked; fails on any problem. */
  async function stream(ctx: Mocha.Context, host: WebUsbHost, kind: 'source' | 'sink', shape: StreamShape, depth: number): Promise<WebUsbPairedResult> {
    const timeoutMs = deadline(shape.totalBytes);
    ctx.timeout(timeoutMs + 60_000);
    const r = await runWebUsbPairedStream(h!.agent, host, { kind, mode: GADGET_MODE, depth, seed, timeoutMs, match, ...shape });
    assert.equal(r.problems.length, 0, r.problems.join('; '));
    return r;
  }

  /** The streams every host runs: the size matrix and the figure streams. */
  function hostStreams(key: HostKey, label: string, host: () => WebUsbHost) {
    for (const [kind, dirName, dir] of KINDS) {
      for (const [sizeName, sizeKey, sizeOf] of SIZES) {
        testCase(`${key}-${dir}-${sizeKey}`, `${dirName}: ${sizeName} transfers, depth ${MATRIX_DEPTH}, every byte checked`, async function () {
          const shape = caseShape(sizeOf(mps));
          const r = await stream(this, host(), kind, shape, MATRIX_DEPTH);
          if (shape.totalBytes >= MiB) measure(this, 'throughput', mbps(r.host.bytesPerSecond), 'MB/s');
        });
      }
    }
    for (const fig of FIGURES) {
      for (const [kind, dirName, dir] of KINDS) {
        testCase(`${key}-${dir}-throughput-${fig.key}`, `${dirName}: throughput, ${fig.name}`, async function () {
          const r = await stream(this, host(), kind, { transferSize: fig.transferSize, totalBytes: fig.totalBytes }, fig.depth);
          measure(this, `${label} ${kind} throughput`, mbps(r.host.bytesPerSecond), 'MB/s');
          measure(this, 'host time in the oracle', oracleShare(r.host), '%');
          const figureKey = `${kind} ${fig.name}`;
          figures.set(figureKey, { ...figures.get(figureKey), [key]: r });
        });
      }
    }
  }

  describe('node usb WebUSB (usb@2 WebUSB class, the device in allowedDevices)', function () {
    let host: NodeWebUsbHost | undefined;
    before(function () {
      host = new NodeWebUsbHost([match]);
    });

    testCase('node-lists-gadget', 'getDevices() lists the gadget', async function () {
      const want = `${VENDOR_ID.toString(16).padStart(4, '0')}:${PRODUCT_ID.toString(16).padStart(4, '0')} serial ${match.serialNumber}`;
      assert.ok((await host!.grantedDevices()).includes(want), `node usb WebUSB does not list ${want}`);
    });

    hostStreams('node', 'node usb WebUSB', () => host!);
  });

  describe(`Chromium navigator.usb (headless, page on ${PAGE_ORIGIN}, WebUsbAllowDevicesForUrls policy)`, function () {
    blockInfo(this, { needs: ['chromium'], tags: ['browser'] });
    let host: ChromiumWebUsbHost | undefined;
    let policy: InstalledPolicy | undefined;
    let startMs = 0;
    const browserLog: string[] = [];

    before(async function () {
      this.timeout(400_000);
      const missing = chromiumMissingReason();
      if (missing) {
        chromiumSkipped = missing;
        skipWithReason(this, missing);
      }
      try {
        policy = await installChromiumPolicy(PAGE_ORIGIN, [{ vendorId: VENDOR_ID, productId: PRODUCT_ID }]);
      } catch (err) {
        chromiumSkipped = `WebUSB in Chromium: ${(err as Error).message}`;
        skipWithReason(this, chromiumSkipped);
      }
      browserLog.push(`policy: ${policy.how} ${policy.file}`);
      for (const l of policy.leftovers) process.stderr.write(`webusb: ${l}\n`);
      const t0 = Date.now();
      host = await ChromiumWebUsbHost.launch({ executablePath: chromiumExecutable()!, timeoutMs: 300_000, log: (l) => browserLog.push(l) });
      startMs = Date.now() - t0;
      browserLog.push(`${host.name} up in ${startMs} ms`);
    });

    after(async function () {
      this.timeout(60_000);
      await host?.close();
      await policy?.remove();
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed') attachLog(this, `chromium log (last lines):\n${browserLog.slice(-30).join('\n')}`);
    });

    testCase('chromium-policy-grants', `the policy grants the gadget to ${PAGE_ORIGIN}: getDevices() lists it, no chooser`, async function () {
      this.timeout(90_000);
      const want = `${VENDOR_ID.toString(16).padStart(4, '0')}:${PRODUCT_ID.toString(16).padStart(4, '0')} serial ${match.serialNumber}`;
      // Chromium learns of devices through udev, a moment after start.
      const until = Date.now() + 60_000;
      let granted: string[];
      while (!(granted = await host!.grantedDevices()).includes(want) && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
      attachLog(this, `${host!.name}; ${browserLog[0]}; granted: ${granted.join(', ') || 'none'}`);
      measure(this, 'Chromium start (launch + page load)', startMs, 'ms');
      assert.ok(granted.includes(want), `Chromium does not list ${want} (granted: ${granted.join(', ') || 'none'})`);
    });

    hostStreams('chromium', 'Chromium', () => host!);
  });

  describe('side by side: the same streams from Chromium and from node usb WebUSB', function () {
    // Each compares a Chromium stream with node usb's: without Chromium it skips.
    blockInfo(this, { needs: ['chromium'], tags: ['browser'] });
    for (const fig of FIGURES) {
      for (const [kind, dirName, dir] of KINDS) {
        testCase(`compare-${dir}-${fig.key}`, `${dirName}: ${fig.name}: both hosts moved the same bytes; throughput of each`, function () {
          const f = figures.get(`${kind} ${fig.name}`) ?? {};
          if (!f.node) skipWithReason(this, 'the node usb WebUSB stream of this shape did not pass');
          if (!f.chromium) skipWithReason(this, chromiumSkipped ?? 'the Chromium stream of this shape did not pass');
          const a = f.chromium.host;
          const b = f.node.host;
          assert.deepEqual([a.tally.bytes, a.tally.transfers, a.tally.checksum], [b.tally.bytes, b.tally.transfers, b.tally.checksum]);
          measure(this, `Chromium (${a.host})`, mbps(a.bytesPerSecond), 'MB/s');
          measure(this, `node usb WebUSB (${b.host})`, mbps(b.bytesPerSecond), 'MB/s');
          measure(this, 'Chromium / node usb', Math.round((a.bytesPerSecond / b.bytesPerSecond) * 100) / 100, 'x');
          measure(this, 'Chromium time in the oracle (JavaScript)', oracleShare(a), '%');
          measure(this, 'node usb time in the oracle (native memcmp, zlib)', oracleShare(b), '%');
        });
      }
    }
  });
});
