import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { labContext, type AgentHandle } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, measure, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase, type CaseInfo } from '@ffs-lab/host-runner/suite-runner/test-case';
import { waitForUsbDevice } from '@ffs-lab/host-runner/usb/usb-device-wait';
import { UsbFunctionHandle } from '@ffs-lab/host-runner/usb/usb-function-handle';
import { openUsbFunction } from '@ffs-lab/host-runner/usb/usb-function-open';
import { runPairedStream } from '@ffs-lab/host-runner/usb/paired-stream';
import { cacheRoot } from '@ffs-lab/host-util/cache-dir';
import { ensureCPair, findCPair, type CPair } from '@ffs-lab/host-runner/bench/c-pair';
import { runCPairStream } from '@ffs-lab/host-runner/bench/c-pair-stream';
import {
  BENCH_DEPTHS,
  BENCH_DIRECTIONS,
  BENCH_MODES,
  BENCH_SIZES,
  directionLabel,
  measurementName,
  sizeLabel,
  type BenchCase,
  type BenchDirection,
  type BenchMetric,
  type BenchStack,
  peerMeasurementName,
  type PeerShape,
  type PeerStack,
} from '@ffs-lab/host-runner/bench/bench-case';
import { AIO_APP_BUF_LEN, echoSimple, readMultibuffPaced, startAioApp, stopAioApp, type AioApp } from './ffs-aio-example-app';
import type { GadgetSpec } from '@ffs-lab/contract/protocol';
import { mmapGate } from './mmap-gate';

const NIGHTLY = process.env.FFS_LAB_PROFILE === 'nightly';
const MiB = 1 << 20;
const GiB = 1 << 30;
/** Repetitions of the whole grid per stack (median and spread over these). */
const REPS = NIGHTLY ? 5 : 3;
/**
 * Bytes per stream by transfer size. Measured on the TCG lab (2 shared cores): the quick sizes
 * keep each stream at roughly 0.1 to 1 s, and the whole bench (2 stacks x 3 reps x 72 cases)
 * within about 10 minutes; the nightly profile moves 4x as much for steadier figures.
 */
const STREAM_BYTES: Record<number, number> = NIGHTLY
  ? { [16 << 10]: 16 * MiB, [64 << 10]: 32 * MiB, [MiB]: 64 * MiB }
  : { [16 << 10]: 4 * MiB, [64 << 10]: 8 * MiB, [MiB]: 16 * MiB };
/** mmap budget of both gadgets' mounts: one stream end's 16 MiB in flight, with room to spare. */
const MMAP_MEMORY_MB = 48;
const OURS_PRODUCT = 0x0130;
/** An unmeasured stream at the start of each block: JIT, pattern tables and page cache warm for both stacks alike. */
const WARMUP = { mode: 'aio', transferSize: 64 << 10, totalBytes: 2 * MiB, depth: 8, timeoutMs: 60_000 } as const;
const C_PRODUCT = 0x0131;
/** Peers: bytes read at the in-8k shape, and round trips at echo-8k (bench-case.ts PEER_SHAPES). */
const PEER_IN_BYTES = (NIGHTLY ? 32 : 8) * MiB;
const PEER_ECHO_TRANSFERS = NIGHTLY ? 1024 : 256;

/** A deadline generous for TCG: 20 s, plus 1 s per MB, plus 5 ms per transfer. */
function deadline(bytes: number, transfers: number): number {
  return 20_000 + Math.ceil(bytes / 1000) + transfers * 5;
}

/** Errors that mean "this kernel/UDC cannot set DMABUF up", not "the stream broke". */
function dmabufUnavailable(mode: string, code: string | undefined, message: string | undefined): string | undefined {
  if (mode !== 'dmabuf' || !code) return undefined;
  if (!/^(EPERM|ENOTTY|EINVAL|ENODEV|ENOENT|EOPNOTSUPP)$/.test(code) || !/DMABUF_ATTACH|udmabuf/i.test(message ?? '')) return undefined;
  return `DMABUF attach: ${code}: ${message} (dummy_udc without scatter-gather refuses DMABUF)`;
}

/**
 * Benchmark (opt-in: runs only when named): for each direction x I/O mode x transfer size x queue
 * depth, bytes/s and CPU seconds per GiB on the gadget and on the host, for our stack (the
 * agent + node usb) and for the C reference pair (bench/src: ffs-bench-gadget + ffs-bench-host),
 * in the same run, repeated and interleaved (ours first in odd repetitions, C first in even ones)
 * so drift on a shared machine hits both alike. Figures are measurements named by
 * host-runner/src/bench/bench-case.ts; `ffs-lab bench` turns them into tables and charts. Every
 * stream is checked byte for byte on the receiving end; a wrong byte fails the case. Timing is
 * never asserted.
 */
describe('bench-io-modes: throughput and CPU per GiB, our stack vs the C reference pair', function () {
  // The C pair is needed by the C blocks only (cBlock); our stack's blocks run without it.
  blockInfo(this, { tags: ['bench', 'stream'] });
  this.timeout(120_000);
  let h: AgentHandle | undefined;
  let cPair: Pick<CPair, 'gadget' | 'host'> | undefined;
  let cPairMissing: string | undefined;
  const seed = crypto.randomInt(1, 2 ** 31);
  /** `${stack} ${mode}` -> why that mode cannot run there (found by the first stream that tried). */
  const unavailable = new Map<string, string>();

  before(async function () {
    this.timeout(300_000);
    const ctx = labContext();
    h = await ctx.startAgent();
    // The lab VM sees the host's cache read-only at the host's path; the lab tools (<cache>/tools/<key>/) tell where.
    const roots = [process.env.FFS_LAB_BENCH_DIR, ctx.tools ? path.resolve(path.dirname(ctx.tools.ffsTest), '..', '..') : undefined, cacheRoot()].filter((r): r is string => Boolean(r));
    try {
      cPair = ctx.tools?.cPair ?? (await findCPair(roots)) ?? (await ensureCPair((line) => process.stderr.write(`${line}\n`)));
    } catch (err) {
      cPairMissing = `the C reference pair could not be built: ${(err as Error).message}`;
    }
  });

  after(async function () {
    await h?.close();
  });

  const mmapOk = () => labContext().kernel.features.mmap === 'present';

  /** Skip reasons that hold before any stream runs. */
  function precheck(ctx: Mocha.Context, stack: BenchStack, mode: string): void {
    const mmap = mode === 'mmap' ? mmapGate(labContext().kernel.features.mmap) : undefined;
    if (mmap) skipWithReason(ctx, mmap.skip);
    if (mode === 'dmabuf' && labContext().kernel.features.dmabuf === 'absent') skipWithReason(ctx, `DMABUF: absent on this kernel (probe: ${labContext().kernel.features.dmabufProbe})`);
    const why = unavailable.get(`${stack} ${mode}`);
    if (why) skipWithReason(ctx, why);
  }

  function record(ctx: Mocha.Context, c: BenchCase, stack: BenchStack, rep: number, figures: Record<BenchMetric, number>): void {
    for (const [metric, value] of Object.entries(figures) as Array<[BenchMetric, number]>) {
      measure(ctx, measurementName({ ...c, stack, rep }, metric), Number(value.toPrecision(6)), metric === 'throughput' ? 'B/s' : 's/GiB');
    }
  }

  function gadgetSpec(name: string, productId: number): GadgetSpec {
    return {
      name,
      vendorId: 0x1d6b,
      productId,
      manufacturer: 'ffs-lab',
      product: `bench ${name}`,
      serial: crypto.randomBytes(6).toString('hex'),
      function: name.replace(/-/g, '_'),
      ...(mmapOk() ? { mountOptions: { mmap_memory_mb: MMAP_MEMORY_MB } } : {}),
    };
  }

  /** Our stack: the agent serves the function itself; node usb opens it in this process. */
  function useOurs(direction: BenchDirection) {
    const state: { dev?: UsbFunctionHandle } = {};
    before(async function () {
      const ctx = labContext();
      const spec = gadgetSpec('bench-ours', OURS_PRODUCT);
      await h!.agent.call('function.create', { gadget: spec });
      await h!.agent.call('gadget.bind', ctx.udc ? { udc: ctx.udc } : {});
      state.dev = (await openUsbFunction({ vendorId: spec.vendorId, productId: spec.productId, serial: spec.serial }, ctx.usb.enumerateTimeoutMs)).handle;
      await h!.agent.call('function.status', { waitEnabledMs: 10_000 }, 15_000);
      const r = await runPairedStream(h!.agent, state.dev, { ...WARMUP, kind: direction === 'in' ? 'source' : 'sink', seed });
      assert.equal(r.problems.length, 0, `warm-up stream: ${r.problems.join('; ')}`);
    });
    after(async function () {
      await state.dev?.close();
      await h?.agent.call('gadget.remove', {}).catch(() => undefined);
    });
    return state;
  }

  /** The C pair: the agent runs ffs-bench-gadget under a configfs gadget; ffs-bench-host runs here per stream. */
  function useC(direction: BenchDirection) {
    const state: { bus?: number; address?: number } = {};
    before(async function () {
      if (cPairMissing) skipWithReason(this, cPairMissing);
      const ctx = labContext();
      const spec = gadgetSpec('bench-c', C_PRODUCT);
      // On a board the gadget half must be built there; FFS_LAB_BENCH_GADGET names it.
      const program = process.env.FFS_LAB_BENCH_GADGET ?? cPair!.gadget;
      if (!program.startsWith('/')) skipWithReason(this, `FFS_LAB_BENCH_GADGET must be an absolute path on the target, not ${program}`);
      await h!.agent.call('gadget.create', spec);
      try {
        await h!.agent.call('program.start', { argv: [program, '--name', spec.product], cwdInMount: true, waitFor: ['ep1', 'ep2'] });
      } catch (err) {
        await h!.agent.call('gadget.remove', {}).catch(() => undefined);
        if ((err as { code?: string }).code === 'ENOENT') skipWithReason(this, `C gadget not found on the target at ${program} (build bench/src there and set FFS_LAB_BENCH_GADGET)`);
        throw err;
      }
      await h!.agent.call('gadget.bind', ctx.udc ? { udc: ctx.udc } : {});
      const found = await waitForUsbDevice({ vendorId: spec.vendorId, productId: spec.productId, serial: spec.serial }, ctx.usb.enumerateTimeoutMs);
      state.bus = found.sysfs.busnum;
      state.address = found.sysfs.devnum;
      const r = await runCPairStream({ ...WARMUP, kind: direction === 'in' ? 'source' : 'sink', seed, hostProgram: cPair!.host, bus: state.bus, address: state.address });
      assert.equal(r.problems.length, 0, `warm-up stream: ${r.problems.join('; ')}`);
    });
    after(async function () {
      const status = await h?.agent.call('program.status', {}).catch(() => undefined);
      if (status && !status.running) attachLog(this, `ffs-bench-gadget exited (${status.exitCode ?? status.signal}):\n${status.output.slice(-20).join('\n')}`);
      await h?.agent.call('gadget.remove', {}).catch(() => undefined);
    });
    afterEach(async function () {
      if (this.currentTest?.state !== 'failed' || !h) return;
      const status = await h.agent.call('program.status', {}).catch(() => undefined);
      if (status) attachLog(this, `ffs-bench-gadget output (last lines):\n${status.output.slice(-10).join('\n')}`);
    });
    return state;
  }

  /** The grid of one block; `block` starts its tests' case names (e.g. `rep1-ours-in`). */
  function cases(block: string, run: (c: BenchCase, ctx: Mocha.Context) => Promise<void>, direction: BenchDirection): void {
    for (const mode of BENCH_MODES) {
      for (const transferSize of BENCH_SIZES) {
        for (const depth of BENCH_DEPTHS) {
          const c: BenchCase = { direction, mode, transferSize, depth };
          // The modes, sizes and depths are fixed lists (bench-case.ts): `rep1-ours-in-mmap-64k-d8`.
          const size = transferSize % MiB === 0 ? `${transferSize / MiB}m` : `${transferSize / 1024}k`;
          const info: CaseInfo | undefined = mode === 'mmap' ? { needs: ['mmap-zero-copy'] } : mode === 'dmabuf' ? { needs: ['dmabuf'] } : undefined;
          testCase(`${block}-${mode}-${size}-d${depth}`, `${mode}, ${sizeLabel(transferSize)} transfers, depth ${depth}`, async function () {
            await run(c, this);
          }, info);
        }
      }
    }
  }

  function oursBlock(rep: number, direction: BenchDirection): void {
    describe(`rep ${rep}, ours (agent + node usb), ${directionLabel(direction)}`, function () {
      const fn = useOurs(direction);
      cases(`rep${rep}-ours-${direction}`, async (c, ctx) => {
        precheck(ctx, 'ours', c.mode);
        const totalBytes = STREAM_BYTES[c.transferSize]!;
        const timeoutMs = deadline(totalBytes, totalBytes / c.transferSize);
        ctx.timeout(timeoutMs + 30_000);
        const kind = c.direction === 'in' ? 'source' : 'sink';
        const r = await runPairedStream(h!.agent, fn.dev!, { kind, mode: c.mode, depth: c.depth, transferSize: c.transferSize, totalBytes, seed, timeoutMs });
        const why = dmabufUnavailable(c.mode, r.agent.error?.code, r.agent.error?.message);
        if (why) {
          unavailable.set(`ours ${c.mode}`, why);
          skipWithReason(ctx, why);
        }
        assert.equal(r.problems.length, 0, r.problems.join('; '));
        const host = (r.hostIn ?? r.hostOut)!;
        record(ctx, c, 'ours', rep, {
          throughput: host.bytesPerSecond,
          'gadget CPU': (r.agent.cpuUserMs + r.agent.cpuSystemMs) / 1000 / (totalBytes / GiB),
          'host CPU': (host.cpuUserMs + host.cpuSystemMs) / 1000 / (totalBytes / GiB),
        });
      }, direction);
    });
  }

  function cBlock(rep: number, direction: BenchDirection): void {
    describe(`rep ${rep}, C pair (ffs-bench-gadget + ffs-bench-host), ${directionLabel(direction)}`, function () {
      blockInfo(this, { needs: ['c-pair'] });
      const dev = useC(direction);
      cases(`rep${rep}-c-${direction}`, async (c, ctx) => {
        precheck(ctx, 'c', c.mode);
        const totalBytes = STREAM_BYTES[c.transferSize]!;
        const timeoutMs = deadline(totalBytes, totalBytes / c.transferSize);
        ctx.timeout(timeoutMs + 45_000);
        const kind = c.direction === 'in' ? 'source' : 'sink';
        const r = await runCPairStream({ kind, mode: c.mode, depth: c.depth, transferSize: c.transferSize, totalBytes, seed, timeoutMs, hostProgram: cPair!.host, bus: dev.bus!, address: dev.address! });
        const why = dmabufUnavailable(c.mode, r.host.error?.code, r.host.error?.message);
        if (why) {
          unavailable.set(`c ${c.mode}`, why);
          skipWithReason(ctx, why);
        }
        assert.equal(r.problems.length, 0, r.problems.join('; '));
        const g = r.gadget!;
        record(ctx, c, 'c', rep, {
          throughput: r.host.bytes / r.host.seconds,
          'gadget CPU': (g.cpuUserSeconds + g.cpuSystemSeconds) / (totalBytes / GiB),
          'host CPU': (r.host.cpuUserSeconds + r.host.cpuSystemSeconds) / (totalBytes / GiB),
        });
      }, direction);
    });
  }

  /**
   * The peers of one repetition (bench-case.ts PEER_SHAPES): the kernel's ffs-aio-example apps at
   * their own shapes, then ours and the C pair at the same shapes. Every byte the apps send is
   * counted, none checked (they send no pattern); ours and the C pair check every byte as always.
   */
  function peersBlock(rep: number): void {
    describe(`rep ${rep}, peers: the kernel's ffs-aio-example apps beside ours and the C pair`, function () {
      const record = (ctx: Mocha.Context, shape: PeerShape, stack: PeerStack, bytesPerSecond: number) =>
        measure(ctx, peerMeasurementName(shape, stack, rep), Number(bytesPerSecond.toPrecision(6)), 'B/s');
      /** One app's block: the app in its gadget, one test measuring `shape` by `bytesPerSecond`. */
      const appBlock = (name: 'aio-multibuff' | 'aio-simple', tool: () => string | undefined, shape: PeerShape, title: string, bytesPerSecond: (app: AioApp) => Promise<number>) =>
        describe(name, function () {
          blockInfo(this, { needs: ['ffs-aio-example'] });
          let app: AioApp | undefined;
          before(async function () {
            app = await startAioApp(this, name, tool());
          });
          after(async function () {
            await stopAioApp(this, app);
          });
          testCase(`rep${rep}-peer-${name.slice(4)}-${shape}`, `${name}: ${title}`, async function () {
            record(this, shape, 'ffs-aio-example', await bytesPerSecond(app!));
          });
        });
      appBlock('aio-multibuff', () => labContext().tools?.aioMultibuff, 'in-8k', `IN, ${PEER_IN_BYTES >> 20} MiB in 8 KiB reads one at a time`, async (app) => PEER_IN_BYTES / (await readMultibuffPaced(app.dev, PEER_IN_BYTES)));
      appBlock('aio-simple', () => labContext().tools?.aioSimple, 'echo-8k', `${PEER_ECHO_TRANSFERS} round trips of 8 KiB`, async (app) => (PEER_ECHO_TRANSFERS * AIO_APP_BUF_LEN) / (await echoSimple(app.dev, PEER_ECHO_TRANSFERS)));
      describe('ours (agent + node usb), aio I/O', function () {
        const fn = useOurs('in');
        testCase(`rep${rep}-peer-ours-in-8k`, `ours: IN, ${PEER_IN_BYTES >> 20} MiB in 8 KiB transfers, the host reading one at a time`, async function () {
          const r = await runPairedStream(h!.agent, fn.dev!, { kind: 'source', mode: 'aio', depth: 8, hostDepth: 1, transferSize: AIO_APP_BUF_LEN, totalBytes: PEER_IN_BYTES, seed, timeoutMs: deadline(PEER_IN_BYTES, PEER_IN_BYTES / AIO_APP_BUF_LEN) });
          assert.equal(r.problems.length, 0, r.problems.join('; '));
          record(this, 'in-8k', 'ours', r.hostIn!.bytesPerSecond);
        });
        testCase(`rep${rep}-peer-ours-echo-8k`, `ours: ${PEER_ECHO_TRANSFERS} round trips of 8 KiB (OUT, then the agent's echo IN), one in flight each way`, async function () {
          const totalBytes = PEER_ECHO_TRANSFERS * AIO_APP_BUF_LEN;
          const r = await runPairedStream(h!.agent, fn.dev!, { kind: 'echo', mode: 'aio', depth: 1, transferSize: AIO_APP_BUF_LEN, totalBytes, seed, timeoutMs: deadline(2 * totalBytes, 2 * PEER_ECHO_TRANSFERS) });
          assert.equal(r.problems.length, 0, r.problems.join('; '));
          record(this, 'echo-8k', 'ours', r.hostIn!.bytesPerSecond);
        });
      });
      describe('C pair, aio I/O', function () {
        blockInfo(this, { needs: ['c-pair'] });
        const dev = useC('in');
        testCase(`rep${rep}-peer-c-in-8k`, `C pair: IN, ${PEER_IN_BYTES >> 20} MiB in 8 KiB transfers, one in flight`, async function () {
          const timeoutMs = deadline(PEER_IN_BYTES, PEER_IN_BYTES / AIO_APP_BUF_LEN);
          const r = await runCPairStream({ kind: 'source', mode: 'aio', depth: 1, transferSize: AIO_APP_BUF_LEN, totalBytes: PEER_IN_BYTES, seed, timeoutMs, hostProgram: cPair!.host, bus: dev.bus!, address: dev.address! });
          assert.equal(r.problems.length, 0, r.problems.join('; '));
          record(this, 'in-8k', 'c', r.host.bytes / r.host.seconds);
        });
      });
    });
  }

  // Interleaved: per repetition and direction, one block per stack, the order alternating. Case
  // names go by the repetition's number: REPS depends on the profile, but for a given profile
  // `rep2-c-out-...` is always the same test.
  for (let rep = 1; rep <= REPS; rep++) {
    for (const direction of BENCH_DIRECTIONS) {
      if (rep % 2 === 1) {
        oursBlock(rep, direction);
        cBlock(rep, direction);
      } else {
        cBlock(rep, direction);
        oursBlock(rep, direction);
      }
    }
    peersBlock(rep);
  }
});
