import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import type { AgentClient } from '@ffs-lab/host-runner/agent/agent-client';
import { testBodySettled } from '@ffs-lab/host-runner/suite-runner/test-body';
import { labContext, type AgentHandle } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, measure, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { UsbFunctionHandle } from '@ffs-lab/host-runner/usb/usb-function-handle';
import { fillPattern, verifyPattern } from '@ffs-lab/contract/pattern';
import { mmapGate, mmapPresence, observablePath } from './mmap-gate';
import { bindProbeFunction, releaseProbeFunction } from './probe-function';

/**
 * Bytes per probe transfer: several packets at every speed, a whole number of pages (16 KiB, or
 * one page of a larger size: a mapping is whole pages, so a shorter one would not end where a
 * case needs it to).
 */
const len = (): number => Math.max(16 * 1024, labContext().kernel.pageSize);
const PRODUCT_ID = 0x0122;

type Path = 'zero-copy' | 'copy';

/** How a case lays out its transfer: the file it is submitted on, the buffer, where in it, which syscall. */
interface Layout {
  fd: number;
  buffer: number;
  offset: number;
  syscall: 'aio' | 'plain';
}

/** One case of the zero-copy rules (functionfs.rst, patch 0012 of the series): a description, the path they prescribe, and its layout. */
interface Case {
  /** The case's part of its tests' case names (after `in-` or `out-`). */
  name: string;
  title: string;
  expected: Path;
  layout(a: AgentClient, file: string): Promise<Layout>;
}

const open = async (a: AgentClient, file: string): Promise<number> => (await a.call('mmap.open', { mount: 'function', file })).fd;
const mapping = async (a: AgentClient, fd: number, bytes: number, tailBytes = 0): Promise<number> =>
  (await a.call('mmap.buffer', { kind: 'mapping', fd, bytes, ...(tailBytes ? { tailBytes } : {}) })).buffer;

/** The other data endpoint file of the default function (ep1 IN, ep2 OUT). */
const otherFile = (file: string) => (file === 'ep1' ? 'ep2' : 'ep1');

const CASES: Case[] = [
  {
    name: 'aio-same-file',
    title: 'AIO from a mapping made on the same open file',
    expected: 'zero-copy',
    layout: async (a, file) => {
      const fd = await open(a, file);
      return { fd, buffer: await mapping(a, fd, len()), offset: 0, syscall: 'aio' };
    },
  },
  {
    name: 'aio-mid-mapping',
    title: 'AIO from the middle of a mapping on the same open file (wholly inside it)',
    expected: 'zero-copy',
    layout: async (a, file) => {
      const fd = await open(a, file);
      return { fd, buffer: await mapping(a, fd, 3 * len()), offset: len() + 512, syscall: 'aio' };
    },
  },
  {
    name: 'aio-split-mapping',
    title: 'AIO from the later part of a mapping split by a partial mprotect (a VMA that starts one page into the buffer)',
    expected: 'zero-copy',
    layout: async (a, file) => {
      const fd = await open(a, file);
      const buffer = await mapping(a, fd, 3 * len());
      // The first page read-only becomes a VMA of its own; the rest is a second VMA whose
      // vm_pgoff is one page, so the kernel must add it to find the transfer's place in the buffer.
      await a.call('mmap.protect', { buffer, prot: 'r', offset: 0, length: labContext().kernel.pageSize });
      return { fd, buffer, offset: len(), syscall: 'aio' };
    },
  },
  {
    name: 'aio-dup',
    title: "AIO on a dup()ed descriptor from a mapping made on the original (they share the struct file)",
    expected: 'zero-copy',
    layout: async (a, file) => {
      const fd = await open(a, file);
      const buffer = await mapping(a, fd, len());
      return { fd: (await a.call('mmap.dup', { fd })).fd, buffer, offset: 0, syscall: 'aio' };
    },
  },
  {
    name: 'plain-io',
    title: 'plain write()/read() from a mapping made on the same open file',
    expected: 'copy',
    layout: async (a, file) => {
      const fd = await open(a, file);
      return { fd, buffer: await mapping(a, fd, len()), offset: 0, syscall: 'plain' };
    },
  },
  {
    name: 'aio-straddling',
    title: "AIO from a buffer that starts inside a mapping and ends past it",
    expected: 'copy',
    layout: async (a, file) => {
      const fd = await open(a, file);
      // A mapping of len(), then len() of anonymous memory: the transfer straddles the boundary by half.
      return { fd, buffer: await mapping(a, fd, len(), len()), offset: len() / 2, syscall: 'aio' };
    },
  },
  {
    name: 'aio-second-open',
    title: 'AIO on a second open() of the endpoint from a mapping made on the first',
    expected: 'copy',
    layout: async (a, file) => {
      const buffer = await mapping(a, await open(a, file), len());
      return { fd: await open(a, file), buffer, offset: 0, syscall: 'aio' };
    },
  },
  {
    name: 'aio-other-file',
    title: 'AIO from a mapping of another endpoint file of the same mount',
    expected: 'copy',
    layout: async (a, file) => {
      const buffer = await mapping(a, await open(a, otherFile(file)), len());
      return { fd: await open(a, file), buffer, offset: 0, syscall: 'aio' };
    },
  },
  {
    name: 'aio-anonymous',
    title: 'AIO from a plain anonymous buffer',
    expected: 'copy',
    layout: async (a, file) => {
      const fd = await open(a, file);
      return { fd, buffer: (await a.call('mmap.buffer', { kind: 'anonymous', bytes: len() })).buffer, offset: 0, syscall: 'aio' };
    },
  },
];

/**
 * Spec section 3: which transfers go zero-copy, seen from outside with the mutate-after-submit
 * probe. The agent queues an IN transfer (pattern A) while the host is not reading, then
 * overwrites the buffer (pattern B); the host then reads. Zero-copy: the controller reads the
 * shared pages at transfer time, so the host gets B. Copy: the kernel copied at submit, so the
 * host gets A. Each case records the path taken ("zero-copy taken", 1 or 0) and fails when it
 * differs from docs/behaviour.md section 3. OUT cases check that every byte arrives on either path (the OUT path
 * leaves no trace outside the kernel).
 */
describe('zero-copy: which transfers skip the copy, by the mutate-after-submit probe', function () {
  blockInfo(this, { tags: ['mmap', 'zero-copy'] });
  this.timeout(60_000);
  let h: AgentHandle | undefined;
  let gate: ReturnType<typeof mmapGate>;
  const agent = async (): Promise<AgentClient> => (h ??= await labContext().startAgent()).agent;

  before(async function () {
    gate = mmapGate(await mmapPresence(agent));
  });

  after(async function () {
    await h?.close();
  });

  // No need for the feature here: on a kernel expected to have it, its absence fails this test.
  testCase('mmap-present', 'mmap zero-copy is present (when the kernel is expected to have it)', function () {
    if (gate?.failure) assert.fail(gate.failure);
    if (gate) skipWithReason(this, gate.skip);
  });

  describe('on a bound function', function () {
    blockInfo(this, { needs: ['mmap-zero-copy'] });
    let a: AgentClient;
    let dev: UsbFunctionHandle | undefined;

    before(async function () {
      if (gate) skipWithReason(this, gate.skip);
      a = await agent();
      dev = await bindProbeFunction(a, { name: 'zero-copy', function: 'zero_copy', product: 'zero-copy probe', productId: PRODUCT_ID });
    });

    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && dev) {
        this.timeout(60_000);
        // A body still running (a timed-out case) is still moving data: let it end first. Then
        // mmap.reset below cancels what it left queued on the gadget. The host does not read to
        // drain: in the lab, a bulk IN read with nothing queued outlives its timeout.
        const settled = await testBodySettled(this, 15_000);
        process.stdout.write(`      cleanup after the failure: the test's body ${settled ? 'had ended' : 'was still running after 15 s'}; mmap.reset cancels what it left queued\n`);
        if (h) attachLog(this, `agent log (last lines):\n${h.agent.log.slice(-20).join('\n')}`);
      }
      await h?.agent.call('mmap.reset', {});
    });

    after(async function () {
      await releaseProbeFunction(h?.agent, dev);
    });

    for (const c of CASES) {
      testCase(`in-${c.name}`, `IN, ${c.title}: ${c.expected} (the host sees bytes changed after submit ${c.expected === 'zero-copy' ? 'on' : 'only on'} the zero-copy path)`, async function () {
        const seedA = crypto.randomInt(1, 2 ** 31);
        const seedB = seedA ^ 0x5a5a5a5a;
        const l = await c.layout(a, 'ep1');
        await a.call('mmap.poke', { buffer: l.buffer, offset: l.offset, length: len(), seed: seedA });
        const { io } = await a.call('mmap.submit', { fd: l.fd, buffer: l.buffer, offset: l.offset, length: len(), direction: 'in', syscall: l.syscall, settleMs: 500 });
        await a.call('mmap.poke', { buffer: l.buffer, offset: l.offset, length: len(), seed: seedB });
        const got = await dev!.bulkIn.transferAsync(len());
        const done = await a.call('mmap.wait', { io, timeoutMs: 10_000 }, 15_000);
        assert.deepEqual(done, { bytes: len(), errno: null }, 'the gadget-side transfer result');
        assert.equal(got?.length ?? 0, len(), 'bytes the host received');
        const taken: Path | undefined = verifyPattern(got!, seedB, 0) === -1 ? 'zero-copy' : verifyPattern(got!, seedA, 0) === -1 ? 'copy' : undefined;
        attachLog(this, `path taken: ${taken ?? 'neither (the host got bytes from neither the submit-time nor the changed buffer)'}`);
        assert.ok(taken, `the host received neither the submitted bytes nor the changed ones (first mismatch with submitted at ${verifyPattern(got!, seedA, 0)}, with changed at ${verifyPattern(got!, seedB, 0)})`);
        measure(this, 'zero-copy taken', taken === 'zero-copy' ? 1 : 0, '(1 = yes, 0 = copied)');
        const seen = observablePath(c.expected);
        if (seen.note) attachLog(this, seen.note);
        assert.equal(taken, seen.path, `the rules say ${c.expected}${seen.note ? ` (seen as ${seen.path}: ${seen.note})` : ''}, the kernel took the ${taken} path`);
      });
    }

    /**
     * The cache-line rule (functionfs.rst rule 5): two zero-copy transfers in flight on one
     * buffer never share a cache line. `gap` is where the second transfer starts relative to the
     * end of the first: 32 bytes before it shares a line on every architecture (lines are 64 bytes
     * or more); a page boundary shares none.
     */
    for (const c of [
      { name: 'in-two-aio-shared-line', title: 'the second starting 32 bytes before the end of the first (a shared cache line): the first zero-copy, the second copied', overlap: true },
      { name: 'in-two-aio-next-page', title: 'the second starting on the page after the first: both zero-copy', overlap: false },
    ]) {
      testCase(c.name, `IN, two AIO writes in flight from one mapping, ${c.title}`, async function () {
        const first = 2 * 4096 - (c.overlap ? 32 : 0);
        const fd = await open(a, 'ep1');
        const buffer = await mapping(a, fd, 4 * 4096);
        const seedA = crypto.randomInt(1, 2 ** 31);
        const seedB = seedA ^ 0x5a5a5a5a;
        const parts = [{ offset: 0, length: first }, { offset: first, length: 2 * 4096 }];
        await a.call('mmap.poke', { buffer, offset: 0, length: 4 * 4096, seed: seedA });
        const ios: number[] = [];
        for (const p of parts) ios.push((await a.call('mmap.submit', { fd, buffer, offset: p.offset, length: p.length, direction: 'in', syscall: 'aio' })).io);
        await a.call('mmap.poke', { buffer, offset: 0, length: 4 * 4096, seed: seedB });
        const taken: Path[] = [];
        for (const [i, p] of parts.entries()) {
          const got = await dev!.bulkIn.transferAsync(p.length);
          assert.equal(got?.length ?? 0, p.length, `bytes the host received for transfer ${i + 1}`);
          const path: Path | undefined = verifyPattern(got!, seedB, p.offset) === -1 ? 'zero-copy' : verifyPattern(got!, seedA, p.offset) === -1 ? 'copy' : undefined;
          assert.ok(path, `transfer ${i + 1}: the host received neither the submitted bytes nor the changed ones`);
          taken.push(path);
        }
        for (const [i, io] of ios.entries()) assert.deepEqual(await a.call('mmap.wait', { io, timeoutMs: 10_000 }, 15_000), { bytes: parts[i]!.length, errno: null }, `transfer ${i + 1}`);
        attachLog(this, `paths taken: ${taken.join(', ')}`);
        measure(this, 'second transfer zero-copy', taken[1] === 'zero-copy' ? 1 : 0, '(1 = yes, 0 = copied)');
        const seen = observablePath('zero-copy');
        if (seen.note) attachLog(this, seen.note);
        assert.equal(taken[0], seen.path, 'the first transfer');
        assert.equal(taken[1], observablePath(c.overlap ? 'copy' : 'zero-copy').path, `the second transfer: the rules say ${c.overlap ? 'copy (it shares a cache line with the first, in flight)' : 'zero-copy'}`);
      });
    }

    testCase('out-two-aio-shared-line', 'OUT, two AIO reads in flight into one mapping whose starts share a cache line (32 bytes each, at 0 and 32): each gets its bytes (on dma-debug, DMA API debugging sees no overlapping mappings)', async function () {
      const fd = await open(a, 'ep2');
      const buffer = await mapping(a, fd, 4096);
      const ios: number[] = [];
      for (const offset of [0, 32]) ios.push((await a.call('mmap.submit', { fd, buffer, offset, length: 32, direction: 'out', syscall: 'aio' })).io);
      const seed = crypto.randomInt(1, 2 ** 31);
      for (const offset of [0, 32]) {
        const data = Buffer.alloc(32);
        fillPattern(data, seed, offset);
        await dev!.bulkOut.transferAsync(data);
      }
      for (const io of ios) assert.deepEqual(await a.call('mmap.wait', { io, timeoutMs: 10_000 }, 15_000), { bytes: 32, errno: null });
      const got = Buffer.from((await a.call('mmap.peek', { buffer, offset: 0, length: 64 })).base64, 'base64');
      assert.equal(verifyPattern(got, seed, 0), -1, 'the 64 bytes the two reads filled');
    });

    testCase('unaligned-offsets', 'unaligned offsets (1, 63 and 4097 bytes into a mapping): AIO writes and reads of 3000 bytes arrive intact both ways', async function () {
      const inFd = await open(a, 'ep1');
      const outFd = await open(a, 'ep2');
      const inBuf = await mapping(a, inFd, 3 * 4096);
      const outBuf = await mapping(a, outFd, 3 * 4096);
      for (const offset of [1, 63, 4097]) {
        const seed = crypto.randomInt(1, 2 ** 31);
        await a.call('mmap.poke', { buffer: inBuf, offset, length: 3000, seed });
        const w = (await a.call('mmap.submit', { fd: inFd, buffer: inBuf, offset, length: 3000, direction: 'in', syscall: 'aio' })).io;
        const got = await dev!.bulkIn.transferAsync(3000);
        assert.deepEqual(await a.call('mmap.wait', { io: w, timeoutMs: 10_000 }, 15_000), { bytes: 3000, errno: null }, `IN at offset ${offset}`);
        assert.equal(verifyPattern(got!, seed, 0), -1, `IN at offset ${offset}: the host received other bytes`);
        const r = (await a.call('mmap.submit', { fd: outFd, buffer: outBuf, offset, length: 3000, direction: 'out', syscall: 'aio' })).io;
        const data = Buffer.alloc(3000);
        fillPattern(data, seed ^ 1, 0);
        await dev!.bulkOut.transferAsync(data);
        assert.deepEqual(await a.call('mmap.wait', { io: r, timeoutMs: 10_000 }, 15_000), { bytes: 3000, errno: null }, `OUT at offset ${offset}`);
        const back = Buffer.from((await a.call('mmap.peek', { buffer: outBuf, offset, length: 3000 })).base64, 'base64');
        assert.equal(verifyPattern(back, seed ^ 1, 0), -1, `OUT at offset ${offset}: the mapping holds other bytes`);
      }
    });

    for (const c of CASES) {
      testCase(`out-${c.name}`, `OUT, ${c.title}: every byte the host sent arrives (the OUT path is not observable from outside: integrity only)`, async function () {
        const seed = crypto.randomInt(1, 2 ** 31);
        const l = await c.layout(a, 'ep2');
        const { io } = await a.call('mmap.submit', { fd: l.fd, buffer: l.buffer, offset: l.offset, length: len(), direction: 'out', syscall: l.syscall, settleMs: 200 });
        const data = Buffer.alloc(len());
        fillPattern(data, seed, 0);
        await dev!.bulkOut.transferAsync(data);
        const done = await a.call('mmap.wait', { io, timeoutMs: 10_000 }, 15_000);
        assert.deepEqual(done, { bytes: len(), errno: null }, 'the gadget-side transfer result');
        const got = Buffer.from((await a.call('mmap.peek', { buffer: l.buffer, offset: l.offset, length: len() })).base64, 'base64');
        assert.equal(verifyPattern(got, seed, 0), -1, 'the gadget buffer does not hold what the host sent');
      });
    }
  });
});
