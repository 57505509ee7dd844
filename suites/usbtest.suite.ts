import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { labContext, type AgentHandle } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, measure, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { openUsbFunction } from '@ffs-lab/host-runner/usb/usb-function-open';
import { IO_MODES, type IoModeName } from '@ffs-lab/contract/io-modes';
import type { FunctionSpec } from '@ffs-lab/contract/function-spec';
import { firstPacketPatternMismatch, KERNEL_PATTERN_NUMBER, packetPatternTable, type PacketPatternName } from '@ffs-lab/contract/packet-pattern';
import type { GadgetSpec, StreamParams, StreamReport } from '@ffs-lab/contract/protocol';
import { MAX_STREAM_TIMEOUT_MS, MAX_TOTAL_BYTES } from '@ffs-lab/contract/stream-layout';
import { mmapGate } from './mmap-gate';
import { mbpsSince } from './throughput';

const NIGHTLY = process.env.FFS_LAB_PROFILE === 'nightly';
/** Gadget Zero's IDs: usbtest's device table binds 0525:a4a0 as "Linux gadget zero". */
const GZ_VENDOR = 0x0525;
const GZ_PRODUCT = 0xa4a0;
/** f_sourcesink's default bulk_buflen: the size of each of its requests, and of our streams' transfers. */
const GZ_BUFLEN = 4096;
/** The pattern both ends use (f_sourcesink pattern=1, usbtest pattern=1): every byte is checked. */
const PATTERN: PacketPatternName = 'mod63';
/** A testusb run longer than this is killed and fails the test (ms). */
const TESTUSB_TIMEOUT_MS = 60_000;
/** How long a killed testusb may take to exit (its ioctl's own timeouts end it) (ms). */
const KILL_WAIT_MS = 30_000;

/** A usbtest test number with testusb's arguments for it (-c scales with the profile). */
interface UsbtestCase {
  n: number;
  what: string;
  args: string[];
  /** Why the kernel's Gadget Zero cannot run it (ours can): a skip there, left out of the comparison. */
  notOnKernel?: string;
}

const count = (quick: number) => String(NIGHTLY ? quick * 10 : quick);
/** Why the kernel's Gadget Zero skips the interrupt tests: FunctionFS can offer what 6.12's f_sourcesink does not. */
const NO_KERNEL_INTERRUPT =
  "the kernel's Gadget Zero (f_sourcesink, 6.12) has no interrupt endpoints, so usbtest finds none there; ours offers an interrupt pair beside the bulk one, as FunctionFS can";

/**
 * The test numbers usbtest runs on a device of its "Linux gadget zero" entry whose first
 * altsetting has a bulk IN and OUT pair, with arguments each accepts (testusb's defaults fail
 * 14 and 21: their vary must be below their length).
 */
const CASES: UsbtestCase[] = [
  { n: 0, what: 'NOP', args: ['-c', '1'] },
  { n: 1, what: 'bulk OUT, fixed length', args: ['-c', count(200), '-s', '4096'] },
  { n: 2, what: 'bulk IN, fixed length', args: ['-c', count(200), '-s', '4096'] },
  { n: 3, what: 'bulk OUT, varying length', args: ['-c', count(200), '-s', '4096', '-v', '512'] },
  { n: 4, what: 'bulk IN, varying length', args: ['-c', count(200), '-s', '4096', '-v', '512'] },
  { n: 5, what: 'bulk OUT, scatterlists', args: ['-c', count(20), '-s', '4096', '-g', '8'] },
  { n: 6, what: 'bulk IN, scatterlists', args: ['-c', count(20), '-s', '4096', '-g', '8'] },
  { n: 7, what: 'bulk OUT, scatterlists of varying length', args: ['-c', count(20), '-s', '4096', '-g', '8', '-v', '512'] },
  { n: 8, what: 'bulk IN, scatterlists of varying length', args: ['-c', count(20), '-s', '4096', '-g', '8', '-v', '512'] },
  { n: 9, what: 'chapter 9 requests (descriptors, status, configuration)', args: ['-c', count(20)] },
  { n: 10, what: 'queued control requests, stalls and short reads among them', args: ['-c', count(20), '-g', '16'] },
  { n: 11, what: 'bulk IN reads unlinked in flight', args: ['-c', count(20), '-s', '4096'] },
  { n: 12, what: 'bulk OUT writes unlinked in flight', args: ['-c', count(20), '-s', '4096'] },
  { n: 13, what: 'endpoint halt set and cleared', args: ['-c', count(20)] },
  { n: 14, what: 'vendor control OUT then IN (0x5b/0x5c), lengths 1..256', args: ['-c', count(200), '-s', '256', '-v', '1'] },
  { n: 17, what: 'bulk OUT from an odd address (mapped by the core)', args: ['-c', count(200), '-s', '4096'] },
  { n: 18, what: 'bulk IN to an odd address (mapped by the core)', args: ['-c', count(200), '-s', '4096'] },
  { n: 19, what: 'bulk OUT from an odd address (premapped)', args: ['-c', count(200), '-s', '4096'] },
  { n: 20, what: 'bulk IN to an odd address (premapped)', args: ['-c', count(200), '-s', '4096'] },
  { n: 21, what: 'vendor control OUT/IN from an odd address', args: ['-c', count(200), '-s', '256', '-v', '1'] },
  { n: 24, what: 'bulk OUT unlinked from an anchor of queued URBs', args: ['-c', count(20), '-s', '4096', '-g', '8'] },
  { n: 29, what: 'bulk OUT with the data toggle cleared between writes', args: ['-c', count(20), '-s', '4096'] },
  { n: 25, what: 'interrupt OUT', args: ['-c', count(200), '-s', '1024'], notOnKernel: NO_KERNEL_INTERRUPT },
  { n: 26, what: 'interrupt IN', args: ['-c', count(200), '-s', '1024'], notOnKernel: NO_KERNEL_INTERRUPT },
];

/** usbtest's throughput tests: it runs them only with its pattern 0 (zeros, nothing checked), so they get a phase of their own. */
const ZERO_CASES: UsbtestCase[] = [
  { n: 27, what: 'bulk OUT throughput by scatterlists (pattern 0: nothing checked)', args: ['-c', count(10), '-s', '16384', '-g', '8', '-v', '0'] },
  { n: 28, what: 'bulk IN throughput by scatterlists (pattern 0: nothing checked)', args: ['-c', count(10), '-s', '16384', '-g', '8', '-v', '0'] },
];

/** Test numbers usbtest has that no Gadget Zero can run here, and why (reported as skips). */
const NOT_RUN: Array<{ n: number[]; why: string }> = [
  {
    n: [15, 16, 22, 23],
    why: "isochronous: dummy_hcd fails every isochronous URB (-EINVAL, a 'FIXME' in its transfer()), so neither gadget offers usbtest an isochronous endpoint here: the kernel's Gadget Zero has them only in altsetting 1, which usbtest does not select while altsetting 0 has a bulk pair, and ours leaves them out (on a board FunctionFS could offer them)",
  },
];

/** One testusb verdict. */
interface Verdict {
  /** `pass` (with seconds), `fail` (errno text), `not-run` (usbtest said EOPNOTSUPP: no line). */
  outcome: 'pass' | 'fail' | 'not-run';
  seconds?: number;
  error?: string;
}

/** Verdicts by peer ("kernel", "g_zero", or an I/O mode) and test number: the last test compares them. */
const verdicts = new Map<string, Map<number, Verdict>>();

/** The kernel's two Gadget Zeros: f_sourcesink in configfs (the reference) and the legacy g_zero, when built in. */
const KERNEL_PEERS = ['kernel', 'g_zero'];

/** The legacy g_zero's serial number (drivers/usb/gadget/legacy/zero.c): how the host finds it. */
const LEGACY_SERIAL = '0123456789.0123456789.0123456789';

/**
 * Binds the built-in g_zero again with pattern $1 (it reads its pattern at bind): unbind from its
 * gadget, set the module parameter, bind to the same gadget. Run on the gadget by `program.run`.
 */
const REBIND_LEGACY = [
  'set -e',
  'd=/sys/bus/gadget/drivers/zero',
  'g=$(basename "$(readlink -f "$d"/gadget.*)")',
  'echo "$g" > "$d/unbind"',
  'echo "$1" > /sys/module/g_zero/parameters/pattern',
  'echo "$g" > "$d/bind"',
].join('; ');

/** The Gadget Zero on the host: its usbfs node, sysfs directory, and whether usbtest holds interface 0. */
interface HostDevice {
  devNode: string;
  sysfs: string;
}

/** Find the device of `serial` in sysfs and wait for usbtest to bind its interface 0. */
async function waitForUsbtest(serial: string, timeoutMs: number, notNode?: string): Promise<HostDevice> {
  const root = '/sys/bus/usb/devices';
  const deadline = Date.now() + timeoutMs;
  let seen = 'no device with its serial';
  for (;;) {
    for (const name of fs.readdirSync(root)) {
      const dir = path.join(root, name);
      const read = (f: string) => {
        try {
          return fs.readFileSync(path.join(dir, f), 'utf8').trim();
        } catch {
          return undefined;
        }
      };
      if (read('serial') !== serial || read('idVendor') !== '0525') continue;
      const pad = (f: string) => (read(f) ?? '0').padStart(3, '0');
      const devNode = `/dev/bus/usb/${pad('busnum')}/${pad('devnum')}`;
      let driver = '';
      try {
        // Interface 0 of the active configuration: 1 for ours, 3 (source/sink) for the legacy g_zero.
        driver = path.basename(fs.readlinkSync(path.join(dir, `${name}:${read('bConfigurationValue') || '1'}.0`, 'driver')));
      } catch {
        /* not bound (yet) */
      }
      if (driver === 'usbtest' && devNode !== notNode) return { devNode, sysfs: dir };
      seen = `${name} has interface 0 bound to ${driver || 'no driver'}`;
    }
    if (Date.now() > deadline) throw new Error(`usbtest did not bind the Gadget Zero within ${timeoutMs} ms (${seen})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Run testusb for one test number on one device; the verdict from its output line. A testusb
 * stuck past the deadline is killed and the test fails at once: a process blocked in usbtest's
 * ioctl dies only when the ioctl returns, which must not hold the suite.
 */
function runTestusb(testusb: string, devNode: string, c: UsbtestCase): Promise<Verdict & { output: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const head = `$ testusb -D ${devNode} -t ${c.n} ${c.args.join(' ')}\n`;
    const child = spawn(testusb, ['-D', devNode, '-t', String(c.n), ...c.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let killed = false;
    let giveUp: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
      // Killed inside usbtest's ioctl, it exits only when the ioctl returns, holding the device
      // meanwhile: wait for that (bounded), or the next test would queue behind it.
      giveUp = setTimeout(() => resolve({ outcome: 'fail', error: `testusb did not finish within ${TESTUSB_TIMEOUT_MS / 1000} s, nor exit ${KILL_WAIT_MS / 1000} s after SIGKILL`, output: head + stdout + stderr }), KILL_WAIT_MS);
    }, TESTUSB_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ outcome: 'fail', error: `testusb: ${err.message}`, output: head + stderr });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(giveUp);
      const output = head + stdout + stderr;
      if (killed) return resolve({ outcome: 'fail', error: `testusb did not finish within ${TESTUSB_TIMEOUT_MS / 1000} s (killed)`, output });
      const esc = devNode.replace(/[/]/g, '\\/');
      const ok = new RegExp(`^${esc} test ${c.n}, +(\\d+)\\.(\\d+) secs$`, 'm').exec(stdout);
      const bad = new RegExp(`^${esc} test ${c.n} --> (\\d+) \\((.*)\\)$`, 'm').exec(stdout);
      if (ok) resolve({ outcome: 'pass', seconds: Number(ok[1]) + Number(`0.${ok[2]}`), output });
      else if (bad) resolve({ outcome: 'fail', error: `errno ${bad[1]} (${bad[2]})`, output });
      else if (code !== 0) resolve({ outcome: 'fail', error: `testusb exited with ${code}`, output });
      else resolve({ outcome: 'not-run', output });
    });
  });
}

/** Where usbtest keeps its pattern; written for the suite and put back after it. */
const USBTEST_PATTERN = '/sys/module/usbtest/parameters/pattern';

/**
 * testusb on this host, with usbtest loaded: or a skip naming what is missing. testusb runs where
 * the runner runs (the USB host): FFS_LAB_HOST_TESTUSB names it; in the lab, host and gadget share
 * the VM and the lab's own build (tools.testusb) serves.
 */
function hostSide(ctx: Mocha.Context): string {
  const testusb = process.env.FFS_LAB_HOST_TESTUSB ?? labContext().tools?.testusb;
  if (!testusb || !fs.existsSync(testusb)) skipWithReason(ctx, `testusb is not on this host${testusb ? ` (${testusb})` : ''}: build the kernel's tools/usb/testusb here and name it with FFS_LAB_HOST_TESTUSB`);
  if (!fs.existsSync('/sys/bus/usb/drivers/usbtest')) skipWithReason(ctx, 'the usbtest driver is not loaded on this host (CONFIG_USB_TEST; modprobe usbtest)');
  return testusb;
}

/** The testusb cases of one peer, recorded under `peer` for the comparison. */
function usbtestCases(peer: string, cases: readonly UsbtestCase[], device: () => HostDevice, testusb: () => string, gadgetState?: () => Promise<string>): void {
  const mine = verdicts.get(peer) ?? new Map<number, Verdict>();
  verdicts.set(peer, mine);
  for (const c of cases) {
    testCase(`${peer}-t${c.n}`, `test ${c.n}: ${c.what}`, async function () {
      if (KERNEL_PEERS.includes(peer) && c.notOnKernel) skipWithReason(this, c.notOnKernel);
      const v = await runTestusb(testusb(), device().devNode, c);
      mine.set(c.n, v);
      attachLog(this, v.output);
      if (v.outcome === 'not-run') assert.fail(`usbtest did not run test ${c.n} (EOPNOTSUPP: it found no endpoint of the kind the test needs)`);
      if (v.outcome === 'fail') assert.fail(`usbtest test ${c.n}: ${v.error}${gadgetState ? `; the gadget: ${await gadgetState()}` : ''}`);
      measure(this, 'duration', v.seconds!, 's');
    });
  }
  if (cases !== CASES) return;
  for (const group of NOT_RUN) {
    for (const n of group.n) {
      testCase(`${peer}-t${n}`, `test ${n}: not run`, function () {
        skipWithReason(this, group.why);
      });
    }
  }
}

/**
 * Judged by the kernel's own ends: usbtest (the host-side test driver) and testusb drive a Gadget
 * Zero made by the agent in each I/O mode, and, as the reference, the kernel's Gadget Zero
 * function itself (f_sourcesink in configfs, which g_zero is made of). Both gadgets send and
 * check Gadget Zero's mod63 pattern, so usbtest checks every IN byte and the gadget every OUT
 * byte (halting its endpoint at a wrong one, which usbtest sees as a stall). Our own bulk check
 * then runs on the same function, and the last test compares the verdicts test by test
 * (docs/behaviour.md section 8).
 */
describe("usbtest: the kernel's host-side test driver against a Gadget Zero in every I/O mode", function () {
  blockInfo(this, { needs: ['usbtest'], tags: ['interop'] });
  this.timeout(TESTUSB_TIMEOUT_MS + KILL_WAIT_MS + 30_000);
  let testusb = '';
  let savedPattern: string | undefined;

  before(function () {
    testusb = hostSide(this);
    savedPattern = fs.readFileSync(USBTEST_PATTERN, 'utf8').trim();
    fs.writeFileSync(USBTEST_PATTERN, String(KERNEL_PATTERN_NUMBER[PATTERN]));
  });
  after(function () {
    if (savedPattern !== undefined) fs.writeFileSync(USBTEST_PATTERN, savedPattern);
  });

  describe("the kernel's Gadget Zero (f_sourcesink), the reference", function () {
    let h: AgentHandle | undefined;
    let device: HostDevice | undefined;
    before(async function () {
      const lab = labContext();
      h = await lab.startAgent();
      device = await startKernelGadgetZero(h, PATTERN);
    });
    after(async function () {
      await h?.agent.call('gadget.remove', {}).catch(() => undefined);
      await h?.close();
    });
    usbtestCases('kernel', CASES, () => device!, () => testusb);

    describe('pattern 0 for the throughput tests', function () {
      before(async function () {
        // f_sourcesink takes its pattern at bind: the gadget is made again with pattern 0.
        await h!.agent.call('gadget.remove', {});
        device = await startKernelGadgetZero(h!, 'zeros');
        fs.writeFileSync(USBTEST_PATTERN, String(KERNEL_PATTERN_NUMBER.zeros));
      });
      after(function () {
        fs.writeFileSync(USBTEST_PATTERN, String(KERNEL_PATTERN_NUMBER[PATTERN]));
      });
      usbtestCases('kernel', ZERO_CASES, () => device!, () => testusb);
    });
  });

  describe("the kernel's legacy g_zero, built in (the gzero kernel variant)", function () {
    blockInfo(this, { needs: ['legacy-g_zero'] });
    let h: AgentHandle | undefined;
    let device: HostDevice | undefined;
    /** Bind g_zero again with `pattern`, and wait for usbtest to hold the re-enumerated device. */
    const rebind = async (pattern: PacketPatternName) => {
      const old = device!.devNode;
      const r = await h!.agent.call('program.run', { argv: ['/bin/sh', '-c', REBIND_LEGACY, 'sh', String(KERNEL_PATTERN_NUMBER[pattern])], timeoutMs: 10_000 });
      if (r.exitCode !== 0) throw new Error(`rebinding g_zero with pattern ${pattern} failed (exit ${r.exitCode ?? r.signal}): ${r.stderr.trim()}`);
      device = await waitForUsbtest(LEGACY_SERIAL, labContext().usb.enumerateTimeoutMs, old);
    };
    before(async function () {
      // Present only when the kernel has g_zero built in: it enumerated at boot, before the suite.
      const found = await waitForUsbtest(LEGACY_SERIAL, 0).catch(() => undefined);
      if (!found) skipWithReason(this, "no legacy g_zero on this host's bus: the lab kernel has none built in (run it with --kernel gzero)");
      device = found;
      h = await labContext().startAgent();
      const param = await h.agent.call('program.run', { argv: ['/bin/cat', '/sys/module/g_zero/parameters/pattern'], timeoutMs: 10_000 });
      if (param.stdout.trim() !== String(KERNEL_PATTERN_NUMBER[PATTERN])) await rebind(PATTERN);
    });
    after(async function () {
      await h?.close();
    });
    usbtestCases('g_zero', CASES, () => device!, () => testusb);

    describe('pattern 0 for the throughput tests', function () {
      before(async function () {
        if (!device) this.skip();
        await rebind('zeros');
        fs.writeFileSync(USBTEST_PATTERN, String(KERNEL_PATTERN_NUMBER.zeros));
      });
      after(async function () {
        fs.writeFileSync(USBTEST_PATTERN, String(KERNEL_PATTERN_NUMBER[PATTERN]));
        // As found: g_zero with the pattern it booted with.
        if (device) await rebind(PATTERN);
      });
      usbtestCases('g_zero', ZERO_CASES, () => device!, () => testusb);
    });
  });

  for (const mode of IO_MODES) {
    describe(`ours, ${mode} I/O`, function () {
      if (mode === 'mmap') blockInfo(this, { needs: ['mmap-zero-copy'] });
      if (mode === 'dmabuf') blockInfo(this, { needs: ['dmabuf'] });
      let h: AgentHandle | undefined;
      let device: HostDevice | undefined;
      let serial = '';
      let streams: { source: number; sink: number; intSource: number; intSink: number } | undefined;
      before(async function () {
        const lab = labContext();
        const gate = mode === 'mmap' ? mmapGate(lab.kernel.features.mmap) : undefined;
        if (gate) skipWithReason(this, gate.skip);
        h = await lab.startAgent();
        const spec = gadgetZeroSpec(`gzero-${mode}`);
        serial = spec.serial;
        const fn = await h.agent.call('function.create', { gadget: spec, function: GZ_FUNCTION, strings: ['source and sink'], control: 'gadget-zero' });
        assert.ok(fn.mount);
        await h.agent.call('gadget.bind', lab.udc ? { udc: lab.udc } : {});
        await h.agent.call('function.status', { waitEnabledMs: lab.usb.enumerateTimeoutMs });
        if (mode === 'dmabuf') {
          const probe = await h.agent.call('dmabuf.probe', {});
          if (!probe.usable) skipWithReason(this, probe.reason ?? `DMABUF attach: ${probe.attach}`);
        }
        const start = async (kind: 'source' | 'sink', endpoint?: number) => (await h!.agent.call('stream.start', { ...gzStream(mode), kind, ...(endpoint ? { endpoint } : {}) })).id;
        streams = { source: await start('source'), sink: await start('sink'), intSource: await start('source', 3), intSink: await start('sink', 4) };
        for (const id of Object.values(streams)) {
          const failed = (await h.agent.call('stream.status', { id })).error;
          if (failed) throw new Error(`the Gadget Zero's stream ${id} failed at its start: ${failed.code}: ${failed.message}`);
        }
        device = await waitForUsbtest(serial, lab.usb.enumerateTimeoutMs);
      });
      after(async function () {
        if (h && streams) {
          for (const id of Object.values(streams)) {
            const r = await h.agent.call('stream.stop', { id }).catch(() => undefined);
            if (r) attachLog(this, `stream ${id}: ${JSON.stringify(r)}`);
          }
        }
        await h?.agent.call('gadget.remove', {}).catch(() => undefined);
        await h?.close();
      });

      usbtestCases(mode, CASES, () => device!, () => testusb, async () => {
        const parts: string[] = [];
        for (const id of Object.values(streams!)) {
          const r = await h!.agent.call('stream.status', { id }).catch((e: Error) => ({ error: { code: 'status', message: e.message } } as Partial<StreamReport>));
          const t = r.received ?? r.sent;
          parts.push(`${r.kind ?? id} ${r.state ?? '?'}${t ? ` ${t.bytes} B in ${t.transfers} transfers` : ''}${r.error ? ` (${r.error.code}: ${r.error.message})` : ''}`);
        }
        return parts.join('; ');
      });

      testCase(`${mode}-our-check`, "our own bulk check on the same function: every IN byte is the pattern, every OUT byte passes the agent's sink, both streams still run", async function () {
        const { agent } = h!;
        const bytes = (NIGHTLY ? 64 : 4) << 20;
        // usbtest holds interface 0: let it go (the host may reset the interface, which the
        // agent's streams must survive as f_sourcesink does).
        fs.writeFileSync('/sys/bus/usb/drivers/usbtest/unbind', `${path.basename(device!.sysfs)}:1.0`);
        const found = await openUsbFunction({ vendorId: GZ_VENDOR, productId: GZ_PRODUCT, serial }, labContext().usb.enumerateTimeoutMs);
        const dev = found.handle;
        try {
          const mps = dev.bulkIn.descriptor.wMaxPacketSize;
          const before = await agent.call('stream.status', { id: streams!.sink });
          let t0 = process.hrtime.bigint();
          for (let got = 0; got < bytes; ) {
            const data = (await dev.bulkIn.transferAsync(GZ_BUFLEN * 16))!;
            const bad = firstPacketPatternMismatch(data, PATTERN, mps);
            assert.equal(bad, -1, `IN byte ${got + bad}: 0x${data[bad]?.toString(16)}`);
            got += data.length;
          }
          measure(this, 'IN throughput', mbpsSince(bytes, t0), 'MB/s');
          const out = Buffer.alloc(GZ_BUFLEN * 16);
          const packet = packetPatternTable(PATTERN, mps);
          for (let at = 0; at < out.length; at += mps) packet.copy(out, at);
          t0 = process.hrtime.bigint();
          for (let sent = 0; sent < bytes; sent += out.length) assert.equal(await dev.bulkOut.transferAsync(out), out.length);
          measure(this, 'OUT throughput', mbpsSince(bytes, t0), 'MB/s');
          const after = await settledSink(agent, streams!.sink, before.received!.bytes + bytes);
          assert.equal(after.state, 'running', `the sink stream ended: ${after.error?.code}: ${after.error?.message}`);
          assert.equal(after.received!.firstBadOffset, null, `the agent's sink found a wrong byte: ${after.received!.fault}`);
          assert.equal(after.received!.bytes - before.received!.bytes, bytes, 'bytes the sink counted for our OUT transfers');
          assert.equal((await agent.call('stream.status', { id: streams!.source })).state, 'running', 'the source stream ended');
        } finally {
          await dev.close();
        }
      });

      testCase(`${mode}-streams-clean`, "the Gadget Zero's own streams saw no wrong byte and no error through every usbtest test", async function () {
        for (const id of Object.values(streams!)) {
          const r = await h!.agent.call('stream.status', { id });
          assert.equal(r.error, undefined, `${r.kind} stream: ${r.error?.code}: ${r.error?.message}`);
          if (r.received) assert.equal(r.received.firstBadOffset, null, `sink: ${r.received.fault}`);
          measure(this, `stream ${id} (${r.kind}) bytes`, (r.received ?? r.sent)!.bytes, 'B');
        }
      });

      describe('pattern 0 for the throughput tests', function () {
        before(async function () {
          if (!streams) this.skip();
          const lab = labContext();
          // The bulk pair gets Gadget Zero's zeros; the mod63 streams end (their reports were checked above).
          for (const id of [streams!.source, streams!.sink]) await h!.agent.call('stream.stop', { id });
          streams!.source = (await h!.agent.call('stream.start', { ...gzStream(mode), kind: 'source', pattern: 'zeros' })).id;
          streams!.sink = (await h!.agent.call('stream.start', { ...gzStream(mode), kind: 'sink', pattern: 'zeros' })).id;
          // Our own check let usbtest go: it binds again.
          const iface = `${path.basename(device!.sysfs)}:1.0`;
          if (!fs.existsSync(path.join(device!.sysfs, iface, 'driver'))) fs.writeFileSync('/sys/bus/usb/drivers/usbtest/bind', iface);
          device = await waitForUsbtest(serial, lab.usb.enumerateTimeoutMs);
          fs.writeFileSync(USBTEST_PATTERN, String(KERNEL_PATTERN_NUMBER.zeros));
        });
        after(function () {
          fs.writeFileSync(USBTEST_PATTERN, String(KERNEL_PATTERN_NUMBER[PATTERN]));
        });
        usbtestCases(mode, ZERO_CASES, () => device!, () => testusb);
        testCase(`${mode}-zeros-clean`, 'the zeros streams saw no wrong byte and no error through the throughput tests', async function () {
          for (const id of [streams!.source, streams!.sink]) {
            const r = await h!.agent.call('stream.status', { id });
            assert.equal(r.error, undefined, `${r.kind} stream: ${r.error?.code}: ${r.error?.message}`);
            if (r.received) assert.equal(r.received.firstBadOffset, null, `sink: ${r.received.fault}`);
            assert.ok((r.received ?? r.sent)!.bytes > 0, `the ${r.kind} stream moved nothing`);
          }
        });
      });
    });
  }

  describe('judges with power: a Gadget Zero with the wrong pattern is caught at both ends', function () {
    let h: AgentHandle | undefined;
    let device: HostDevice | undefined;
    let source = 0;
    let sink = 0;
    before(async function () {
      const lab = labContext();
      h = await lab.startAgent();
      const spec = gadgetZeroSpec('gzero-wrong');
      await h.agent.call('function.create', { gadget: spec, function: GZ_FUNCTION, strings: ['source and sink'], control: 'gadget-zero' });
      await h.agent.call('gadget.bind', lab.udc ? { udc: lab.udc } : {});
      await h.agent.call('function.status', { waitEnabledMs: lab.usb.enumerateTimeoutMs });
      // Zeros where usbtest expects mod63: its IN check and the agent's OUT check must both object.
      source = (await h.agent.call('stream.start', { ...gzStream('aio'), kind: 'source', pattern: 'zeros' })).id;
      sink = (await h.agent.call('stream.start', { ...gzStream('aio'), kind: 'sink', pattern: 'zeros' })).id;
      device = await waitForUsbtest(spec.serial, lab.usb.enumerateTimeoutMs);
    });
    after(async function () {
      await h?.agent.call('gadget.remove', {}).catch(() => undefined);
      await h?.close();
    });
    testCase('wrong-in-caught', "usbtest fails test 2 (bulk IN) when the gadget sends zeros instead of mod63", async function () {
      assert.equal((await h!.agent.call('stream.status', { id: source })).state, 'running', 'the source runs (a dead one would fail the test by a timeout, not by its data)');
      const v = await runTestusb(hostSide(this), device!.devNode, CASES.find((c) => c.n === 2)!);
      attachLog(this, v.output);
      assert.equal(v.outcome, 'fail', 'usbtest passed data that is not its pattern');
      assert.match(v.error ?? '', /^errno 22 /, "usbtest's data check fails a transfer with EINVAL");
    });
    testCase('wrong-out-caught', "the agent's sink halts at usbtest's first mod63 byte, so test 1 (bulk OUT) fails with a stall", async function () {
      const v = await runTestusb(hostSide(this), device!.devNode, CASES.find((c) => c.n === 1)!);
      attachLog(this, v.output);
      assert.equal(v.outcome, 'fail', 'the agent took data that is not its pattern');
      assert.match(v.error ?? '', /^errno 32 /, 'a halted endpoint is EPIPE on the host');
      const r = await h!.agent.call('stream.status', { id: sink });
      assert.equal(r.error?.code, 'BAD_DATA');
      assert.match(r.received?.fault ?? '', /expected 0x00/);
    });
  });

  describe('verdicts compared', function () {
    testCase('agree', "ours passes every usbtest test the kernel's Gadget Zero passes, in every I/O mode that ran (and so does the legacy g_zero, when built in)", function () {
      const kernel = verdicts.get('kernel');
      if (!kernel?.size) skipWithReason(this, "the kernel's Gadget Zero did not run");
      const lines: string[] = [];
      const disagree: string[] = [];
      for (const c of [...CASES, ...ZERO_CASES].filter((x) => !x.notOnKernel)) {
        const ref = kernel!.get(c.n)?.outcome ?? 'not run';
        const row = [`test ${String(c.n).padStart(2)}`, `kernel ${ref}`];
        for (const peer of ['g_zero', ...IO_MODES]) {
          const v = verdicts.get(peer)?.get(c.n);
          if (!v) continue;
          row.push(`${peer} ${v.outcome}`);
          if (v.outcome !== ref) disagree.push(`test ${c.n} (${c.what}): kernel ${ref}, ${peer} ${v.outcome}${v.error ? ` ${v.error}` : ''}`);
        }
        lines.push(row.join(', '));
      }
      attachLog(this, lines.join('\n'));
      assert.deepEqual(disagree, []);
    });
  });
});

/**
 * Gadget Zero's interface as f_sourcesink's altsetting 0 has it (a bulk pair), with an interrupt
 * pair beside it that usbtest also drives (its "Linux gadget zero" entry looks for one), asking
 * for every control request.
 */
const GZ_FUNCTION: FunctionSpec = {
  endpoints: [
    { number: 1, direction: 'in', type: 'bulk' },
    { number: 2, direction: 'out', type: 'bulk' },
    { number: 3, direction: 'in', type: 'interrupt' },
    { number: 4, direction: 'out', type: 'interrupt' },
  ],
  flags: { allCtrlRecip: true },
};

/** A Gadget Zero stream in `mode`: f_sourcesink's request size, running until stopped. */
function gzStream(mode: IoModeName): Omit<StreamParams, 'kind'> & { waitReady: boolean } {
  return { mode, pattern: PATTERN, transferSize: GZ_BUFLEN, totalBytes: Math.floor(MAX_TOTAL_BYTES / GZ_BUFLEN) * GZ_BUFLEN, depth: 8, seed: 0, timeoutMs: MAX_STREAM_TIMEOUT_MS, waitReady: true };
}

/** The kernel's Gadget Zero function (SourceSink) with `pattern`, bound, once usbtest holds it. */
async function startKernelGadgetZero(h: AgentHandle, pattern: PacketPatternName): Promise<HostDevice> {
  const lab = labContext();
  const spec = gadgetZeroSpec('gzero-kernel');
  spec.kernelFunction = { type: 'SourceSink', attributes: { pattern: KERNEL_PATTERN_NUMBER[pattern], bulk_buflen: GZ_BUFLEN } };
  await h.agent.call('gadget.create', spec);
  await h.agent.call('gadget.bind', lab.udc ? { udc: lab.udc } : {});
  return waitForUsbtest(spec.serial, lab.usb.enumerateTimeoutMs);
}

/** A Gadget Zero's device: usbtest's IDs, a fresh serial. */
function gadgetZeroSpec(name: string): GadgetSpec {
  return { name, vendorId: GZ_VENDOR, productId: GZ_PRODUCT, manufacturer: 'ffs-lab', product: 'Gadget Zero', serial: crypto.randomBytes(6).toString('hex'), function: name.replace(/-/g, '_') };
}

/** The sink's report once it has counted `bytes` (or after 10 s). */
async function settledSink(agent: AgentHandle['agent'], id: number, bytes: number): Promise<StreamReport> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await agent.call('stream.status', { id });
    if (r.received!.bytes >= bytes || r.state !== 'running' || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}
