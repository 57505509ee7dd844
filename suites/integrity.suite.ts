import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { labContext, type AgentHandle } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, measure, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { UsbFunctionHandle } from '@ffs-lab/host-runner/usb/usb-function-handle';
import { openUsbFunction } from '@ffs-lab/host-runner/usb/usb-function-open';
import { runPairedStream, type PairedStreamOptions, type PairedStreamResult } from '@ffs-lab/host-runner/usb/paired-stream';
import type { StreamKind } from '@ffs-lab/contract/protocol';
import type { IoModeName } from '@ffs-lab/contract/io-modes';
import type { StreamShape } from '@ffs-lab/contract/stream-layout';
import { mmapGate } from './mmap-gate';

const NIGHTLY = process.env.FFS_LAB_PROFILE === 'nightly';
const KiB = 1024;
const MiB = 1024 * KiB;
/**
 * The long stream per direction: 1 GiB in the nightly profile, 256 MiB otherwise. On the TCG lab
 * (2 shared cores) 1 MiB transfers at depth 8 ran at 65-86 MB/s, so 256 MiB takes about 4 s per
 * direction and the nightly 1 GiB about 15 s.
 */
const LONG_BYTES = NIGHTLY ? 1024 * MiB : 256 * MiB;
/** Per-mode throughput streams and the host depth comparison: long enough for a stable figure on TCG. */
const FIGURE_BYTES = 64 * MiB;
/**
 * The echo stream: 64 KiB transfers (4 MiB - 1 in all); in the nightly profile the throughput
 * tests' shape (64 MiB in 1 MiB transfers), so its figures compare with theirs side by side
 * (gadget-agent/src/streams/agent-stream.ts keeps echo on the pipeline by them) and both host
 * ends keep megabytes in flight (the usbfs budget they share).
 */
const ECHO = NIGHTLY ? { label: '1 MiB', transferSize: MiB, totalBytes: FIGURE_BYTES } : { label: '64 KiB', transferSize: 64 * KiB, totalBytes: 64 * 64 * KiB - 1 };
const DEPTH_FIGURE_BYTES = 32 * MiB;
const LONG_TRANSFER = 1 * MiB;
const LONG_DEPTH = 8;
/** A matrix case moves at most this much (keeps the 4 MiB rows to 4 transfers on TCG). */
const CASE_CAP = 16 * MiB;
const MODES: IoModeName[] = ['copy', 'aio', 'mmap', 'dmabuf'];
/** Why dmabuf has no ZLP cells. */
const DMABUF_NO_ZLP = 'dmabuf cannot move zero-length transfers: FUNCTIONFS_DMABUF_TRANSFER refuses length 0 with EINVAL (the dmabuf suite checks that)';
const DEPTHS = [1, 8, 32];
/**
 * Sizes by name, with the name's part of their tests' case names; `mps` is the bulk endpoints'
 * wMaxPacketSize at the link speed, known after enumeration.
 */
const SIZES: Array<[string, string, (mps: number) => number]> = [
  ['0 B (ZLP)', 'zlp', () => 0],
  ['1 B', '1b', () => 1],
  ['mps-1', 'mps-minus1', (m) => m - 1],
  ['mps', 'mps', (m) => m],
  ['mps+1', 'mps-plus1', (m) => m + 1],
  ['4 KiB', '4k', () => 4 * KiB],
  ['64 KiB', '64k', () => 64 * KiB],
  ['1 MiB', '1m', () => MiB],
  ['4 MiB', '4m', () => 4 * MiB],
];
/** mmap budget of the suite's mounts: the 16 MiB in flight of one stream end, with room to spare. */
const MMAP_MEMORY_MB = 48;

/**
 * The shape of a matrix case: max(4, 2 x depth) transfers (so every slot is reused), at most
 * CASE_CAP bytes, and for sizes above 1 the last transfer one byte short (so a stream also ends
 * on a short transfer, and for mps+1 on a remainder that is a whole number of packets, which the
 * receiver must end without a ZLP; see stream-layout.ts).
 */
function caseShape(size: number, depth: number): StreamShape {
  const count = Math.max(2, Math.min(Math.max(4, 2 * depth), size > 0 ? Math.floor(CASE_CAP / size) : Infinity));
  if (size === 0) return { transferSize: 0, totalBytes: 0, transfers: count };
  return { transferSize: size, totalBytes: size === 1 ? count : count * size - 1 };
}

/** A deadline generous for TCG: 20 s, plus 1 s per MB, plus 5 ms per transfer. */
function deadline(bytes: number, transfers: number): number {
  return 20_000 + Math.ceil(bytes / 1000) + transfers * 5;
}

function cpuPerMiB(cpuMs: number, bytes: number): number {
  return Math.round((cpuMs / (bytes / MiB)) * 100) / 100;
}

function mbps(bytesPerSecond: number): number {
  return Math.round(bytesPerSecond / 1e5) / 10;
}

/**
 * Data integrity through FunctionFS, end to end: the agent streams over each I/O mode (copy, aio,
 * mmap zero-copy, DMABUF) on a function it serves itself, node usb on the host keeps many transfers in
 * flight, and the receiving side checks every byte against the pattern oracle. Both directions x
 * modes x transfer sizes around the packet size x queue depths, echo, and one long stream per
 * direction. Every case: zero byte errors, transfer and byte counts equal on both sides and as
 * planned, equal checksums.
 */
describe('integrity: every byte through every I/O mode', function () {
  blockInfo(this, { tags: ['stream'] });
  this.timeout(120_000);
  let h: AgentHandle | undefined;
  const seed = crypto.randomInt(1, 2 ** 31);

  before(async function () {
    h = await labContext().startAgent();
  });

  after(async function () {
    await h?.close();
  });

  /** One function per describe block (gadget + FunctionFS + host handle); many streams on it. */
  function useFunction(name: string, productId: number, withMmap: () => boolean) {
    const state: { dev?: UsbFunctionHandle; mps: number } = { mps: 0 };
    before(async function () {
      const ctx = labContext();
      const serial = crypto.randomBytes(6).toString('hex');
      await h!.agent.call('function.create', {
        gadget: {
          name,
          vendorId: 0x1d6b,
          productId,
          manufacturer: 'ffs-lab',
          product: `integrity ${name}`,
          serial,
          function: name.replace(/-/g, '_'),
          ...(withMmap() ? { mountOptions: { mmap_memory_mb: MMAP_MEMORY_MB } } : {}),
        },
      });
      await h!.agent.call('gadget.bind', ctx.udc ? { udc: ctx.udc } : {});
      state.dev = (await openUsbFunction({ vendorId: 0x1d6b, productId, serial }, ctx.usb.enumerateTimeoutMs)).handle;
      await h!.agent.call('function.status', { waitEnabledMs: 10_000 }, 15_000);
      state.mps = state.dev.bulkIn.descriptor.wMaxPacketSize;
      assert.equal(state.dev.bulkOut.descriptor.wMaxPacketSize, state.mps, 'bulk IN and OUT packet sizes differ');
    });
    after(async function () {
      await state.dev?.close();
      await h?.agent.call('gadget.remove', {}).catch(() => undefined);
    });
    afterEach(function () {
      if (this.currentTest?.state === 'failed' && h) attachLog(this, `agent log (last lines):\n${h.agent.log.slice(-30).join('\n')}`);
    });
    return state;
  }

  async function stream(ctx: Mocha.Context, dev: UsbFunctionHandle, o: Omit<PairedStreamOptions, 'seed' | 'timeoutMs'>): Promise<PairedStreamResult> {
    const timeoutMs = deadline(o.totalBytes, o.transfers ?? Math.ceil(o.totalBytes / Math.max(1, o.transferSize)));
    ctx.timeout(timeoutMs + 30_000);
    const r = await runPairedStream(h!.agent, dev, { ...o, seed, timeoutMs });
    assert.equal(r.problems.length, 0, r.problems.join('; '));
    return r;
  }

  /** Stream kinds: the kind, its title words and its part of case names. */
  const kinds: Array<[StreamKind, string, 'in' | 'out']> = [
    ['source', 'IN (gadget to host)', 'in'],
    ['sink', 'OUT (host to gadget)', 'out'],
  ];

  MODES.forEach((mode, modeIndex) => {
    describe(`${mode} mode`, function () {
      let mmapMissing: string | undefined;
      before(function () {
        if (mode !== 'mmap') return;
        const gate = mmapGate(labContext().kernel.features.mmap);
        if (!gate) return;
        if (gate.failure) mmapMissing = gate.skip;
        else skipWithReason(this, gate.skip);
      });

      if (mode === 'mmap') {
        testCase('mmap-present', 'mmap zero-copy is present (when the kernel is expected to have it)', function () {
          assert.equal(mmapMissing, undefined, `${mmapMissing}, but this kernel is expected to have it`);
        });
      }

      describe('streams', function () {
        // The mmap and dmabuf streams skip without the feature (mmap-present, outside this block, fails where the kernel should have it).
        if (mode === 'mmap') blockInfo(this, { needs: ['mmap-zero-copy'] });
        if (mode === 'dmabuf') blockInfo(this, { needs: ['dmabuf'] });
        before(function () {
          if (mmapMissing) skipWithReason(this, mmapMissing);
        });
        const fn = useFunction(`integrity-${mode}`, 0x0110 + modeIndex, () => mode === 'mmap');

        // DMABUF needs scatter-gather on the UDC (stock dummy_udc has none): ask the bound function.
        let dmabufMissing: string | undefined;
        if (mode === 'dmabuf') {
          before(async function () {
            const probe = await h!.agent.call('dmabuf.probe', {});
            if (probe.usable) return;
            if (!probe.sgExpected) skipWithReason(this, probe.reason ?? `DMABUF attach: ${probe.attach}`);
            dmabufMissing = probe.reason;
          });
          testCase('dmabuf-attach', 'DMABUF attach works (the UDC claims scatter-gather)', function () {
            assert.equal(dmabufMissing, undefined, `${dmabufMissing}, so DMABUF should work here`);
          });
          beforeEach(function () {
            if (dmabufMissing && !/^DMABUF attach works/.test(this.currentTest?.title ?? '')) skipWithReason(this, dmabufMissing);
          });
        }

        for (const [kind, dirName, dir] of kinds) {
          for (const [sizeName, sizeKey, sizeOf] of SIZES) {
            for (const depth of DEPTHS) {
              // The arm64 smoke selection: mmap streams each way in 64 KiB transfers at depth 8.
              const smoke = mode === 'mmap' && sizeKey === '64k' && depth === 8;
              testCase(`${mode}-${dir}-${sizeKey}-d${depth}`, `${dirName}: ${sizeName} transfers, depth ${depth}`, async function () {
                const shape = caseShape(sizeOf(fn.mps), depth);
                if (mode === 'dmabuf' && shape.transferSize === 0) skipWithReason(this, DMABUF_NO_ZLP);
                const r = await stream(this, fn.dev!, { kind, mode, depth, ...shape });
                const host = (r.hostIn ?? r.hostOut)!;
                if (shape.totalBytes >= MiB) measure(this, 'throughput', mbps(host.bytesPerSecond), 'MB/s');
              }, smoke ? { tags: ['smoke'] } : undefined);
            }
          }
        }

        for (const [kind, dirName, dir] of kinds) {
          testCase(`${mode}-${dir}-throughput`, `${dirName}: throughput, ${FIGURE_BYTES / MiB} MiB in 1 MiB transfers, depth 8`, async function () {
            const r = await stream(this, fn.dev!, { kind, mode, depth: 8, transferSize: MiB, totalBytes: FIGURE_BYTES });
            const host = (r.hostIn ?? r.hostOut)!;
            measure(this, `${mode} ${kind} throughput`, mbps(host.bytesPerSecond), 'MB/s');
            measure(this, 'agent CPU per MiB', cpuPerMiB(r.agent.cpuUserMs + r.agent.cpuSystemMs, FIGURE_BYTES), 'ms');
          });
        }

        if (mode === 'aio') {
          testCase('negative-gadget-seed', 'negative control: the gadget catches a host stream made with another seed, at offset 0', async function () {
            const r = await runPairedStream(h!.agent, fn.dev!, { kind: 'sink', mode, depth: 8, transferSize: 4096, totalBytes: 64 * KiB, seed, timeoutMs: 30_000, hostOverride: { seed: seed ^ 1 } });
            assert.equal(r.agent.received?.firstBadOffset, 0, `the gadget did not catch the wrong stream: ${JSON.stringify(r.agent.received)}`);
            assert.ok(r.problems.some((p) => /first bad offset 0/.test(p)), r.problems.join('; '));
            // The bytes moved intact (the checksums compare transport), only the pattern check can see this.
            assert.equal(r.agent.received?.checksum, r.hostOut?.tally.checksum);
          });

          testCase('negative-host-seed', 'negative control: the host catches a stream from the gadget that is made with another seed', async function () {
            const r = await runPairedStream(h!.agent, fn.dev!, { kind: 'source', mode, depth: 8, transferSize: 4096, totalBytes: 64 * KiB, seed, timeoutMs: 30_000, hostOverride: { seed: seed ^ 1 } });
            assert.equal(r.hostIn?.tally.firstBadOffset, 0, `the host did not catch the wrong stream: ${JSON.stringify(r.hostIn?.tally)}`);
          });

          testCase('negative-short-transfer', 'negative control: a transfer one byte short is caught at its offset, with the counts differing', async function () {
            const r = await runPairedStream(h!.agent, fn.dev!, { kind: 'sink', mode, depth: 8, transferSize: 4096, totalBytes: 16 * KiB, seed, timeoutMs: 30_000, hostOverride: { totalBytes: 16 * KiB - 1 } });
            assert.equal(r.agent.received?.firstBadOffset, 16 * KiB - 1);
            assert.match(r.agent.received?.fault ?? '', /transfer 3: 4095 bytes, expected 4096/);
            assert.ok(r.problems.some((p) => /host sent 16383 bytes, planned 16384/.test(p)), r.problems.join('; '));
          });
        }

        // ECHO's shape depends on the profile: the name does not.
        testCase(`${mode}-echo`, `echo: ${ECHO.label} transfers, depth 8, looped back byte for byte`, async function () {
          const r = await stream(this, fn.dev!, { kind: 'echo', mode, depth: 8, transferSize: ECHO.transferSize, totalBytes: ECHO.totalBytes });
          measure(this, 'echo throughput', mbps(r.hostIn!.bytesPerSecond), 'MB/s');
          // Why echo may stay on the TypeScript pipeline (gadget-agent/src/streams/agent-stream.ts):
          // how busy the agent is while the stream runs, and what a MiB costs it.
          const agentCpuMs = r.agent.cpuUserMs + r.agent.cpuSystemMs;
          measure(this, 'agent CPU share', Math.round((agentCpuMs / Math.max(1, r.agent.elapsedMs)) * 1000) / 10, '%');
          measure(this, 'agent CPU per MiB', cpuPerMiB(agentCpuMs, r.agent.sent?.bytes ?? 0), 'ms');
        });
      });
    });
  });

  describe(`long streams: ${LONG_BYTES / MiB} MiB per direction (${NIGHTLY ? 'nightly profile' : '1 GiB with FFS_LAB_PROFILE=nightly'}), 1 MiB transfers, depth ${LONG_DEPTH}, mmap mode (aio where mmap is absent)`, function () {
    const useMmap = () => labContext().kernel.features.mmap === 'present';
    const fn = useFunction('integrity-long', 0x0114, useMmap);
    for (const [kind, dirName, dir] of kinds) {
      // LONG_BYTES depends on the profile: the name does not.
      testCase(`long-${dir}`, `${dirName}: zero byte errors, counts equal, memory flat on both ends`, async function () {
        const mode: IoModeName = useMmap() ? 'mmap' : 'aio';
        const r = await stream(this, fn.dev!, { kind, mode, depth: LONG_DEPTH, transferSize: LONG_TRANSFER, totalBytes: LONG_BYTES });
        const host = (r.hostIn ?? r.hostOut)!;
        measure(this, `${mode} ${kind} throughput`, mbps(host.bytesPerSecond), 'MB/s');
        measure(this, 'agent CPU per MiB', cpuPerMiB(r.agent.cpuUserMs + r.agent.cpuSystemMs, LONG_BYTES), 'ms');
        measure(this, 'host CPU per MiB', cpuPerMiB(host.cpuUserMs + host.cpuSystemMs, LONG_BYTES), 'ms');
        const agentGrowth = (r.agent.rssPeakBytes - r.agent.rssStartBytes) / MiB;
        const hostGrowth = (host.rssPeakBytes - host.rssStartBytes) / MiB;
        measure(this, 'agent RSS growth', Math.round(agentGrowth * 10) / 10, 'MiB');
        measure(this, 'host RSS growth', Math.round(hostGrowth * 10) / 10, 'MiB');
        // Baselines are taken after the buffers are allocated: any growth is per-transfer accumulation (or GC slack).
        assert.ok(agentGrowth < 16, `agent RSS grew by ${agentGrowth.toFixed(1)} MiB during the stream`);
        assert.ok(hostGrowth < 16, `host RSS grew by ${hostGrowth.toFixed(1)} MiB during the stream`);
      });
    }
  });

  describe('host queue depth: one transfer in flight (usb@3 style) vs many (usb@2 legacy API)', function () {
    const fn = useFunction('integrity-depth', 0x0115, () => false);
    for (const [kind, dirName, dir] of kinds) {
      for (const size of [16 * KiB, MiB]) {
        testCase(`host-depth-${dir}-${size === MiB ? '1m' : '16k'}`, `${dirName}, ${DEPTH_FIGURE_BYTES / MiB} MiB in ${size / KiB} KiB transfers, aio on the gadget: host depth 1 and 8 both exact; figures recorded`, async function () {
          const shape = { transferSize: size, totalBytes: DEPTH_FIGURE_BYTES };
          const one = await stream(this, fn.dev!, { kind, mode: 'aio', depth: 8, hostDepth: 1, ...shape });
          const many = await stream(this, fn.dev!, { kind, mode: 'aio', depth: 8, hostDepth: 8, ...shape });
          const a = (one.hostIn ?? one.hostOut)!;
          const b = (many.hostIn ?? many.hostOut)!;
          assert.equal(a.depth, 1);
          assert.equal(b.depth, 8);
          measure(this, 'host depth 1', mbps(a.bytesPerSecond), 'MB/s');
          measure(this, 'host depth 8', mbps(b.bytesPerSecond), 'MB/s');
        });
      }
    }
  });
});
