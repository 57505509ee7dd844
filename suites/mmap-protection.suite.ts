import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import type { AgentClient } from '@ffs-lab/host-runner/agent/agent-client';
import { kernelCarriesPatch, labContext, type AgentHandle } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { testBodySettled } from '@ffs-lab/host-runner/suite-runner/test-body';
import { attachLog, measure, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { UsbFunctionHandle } from '@ffs-lab/host-runner/usb/usb-function-handle';
import { fillPattern, verifyPattern } from '@ffs-lab/contract/pattern';
import type { Protection } from '@ffs-lab/contract/mmap-probe-protocol';
import type { ProbeIoResult } from '@ffs-lab/contract/mmap-probe-protocol';
import { mmapGate, mmapPresence, observablePath } from './mmap-gate';
import { bindProbeFunction, releaseProbeFunction } from './probe-function';

const KiB = 1024;
/** Bytes per protection probe: several packets at every speed, a whole number of pages. */
const LEN = 16 * KiB;
const PRODUCT_ID = 0x0125;
/** Our series' fix for the bounce buffer leaked by a request that fails before it is queued. */
const EARLY_FAILURE_FIX = 'usb-gadget-f_fs-free-the-bounce-buffer-when-a-reques';
/** Run the checks of mainline defects on kernels without our fix too (they then fail). */
const RUN_HAZARDS = process.env.FFS_LAB_FAULT_HAZARDS === '1';
/** The EFAULT leak probe: writes that fail, and the size of each (large enough for the sg path). */
const LEAK_WRITES = 64;
const LEAK_WRITE_BYTES = 512 * KiB;

type Path = 'zero-copy' | 'copy';

/** How mmap(2) spells each protection. */
const PROT_NAMES: Record<Protection, string> = { rw: 'PROT_READ|PROT_WRITE', r: 'PROT_READ', w: 'PROT_WRITE', none: 'PROT_NONE' };

/** What a transfer did: its outcome, and for an IN transfer that moved data, the path it took. */
interface Seen {
  outcome: ProbeIoResult;
  path?: Path;
}

/**
 * Transfers from memory the process may not read or write (the series' Documentation, patch 0012,
 * rule 4). A zero-copy request is the copy path minus the copy, so it must fail where the copy
 * would: an OUT read into a mapping without PROT_WRITE, an IN write from one without PROT_READ.
 * Each case runs the same transfer from anonymous memory of the same protection (the copy path,
 * the reference) and from an endpoint mapping, and the outcomes must match; an IN transfer that
 * moves data also shows its path (mutate-after-submit, as in the zero-copy suite). Beside them,
 * the mainline error path that leaked the bounce buffer of every write from unreadable memory.
 */
describe('mmap protection: transfers from memory the process may not read or write', function () {
  // The protection cases need the feature; the bounce-buffer leak check does not (it writes from anonymous memory).
  blockInfo(this, { tags: ['mmap', 'protection'] });
  this.timeout(90_000);
  let h: AgentHandle | undefined;
  let gate: ReturnType<typeof mmapGate>;
  let a: AgentClient;
  let dev: UsbFunctionHandle | undefined;
  const agent = async (): Promise<AgentClient> => (h ??= await labContext().startAgent()).agent;

  before(async function () {
    gate = mmapGate(await mmapPresence(agent));
    a = await agent();
    dev = await bindProbeFunction(a, { name: 'mmap-protection', function: 'mmap_protection', product: 'mmap protection', productId: PRODUCT_ID });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      this.timeout(60_000);
      await testBodySettled(this, 15_000);
      if (h) attachLog(this, `agent log (last lines):\n${h.agent.log.slice(-20).join('\n')}`);
    }
    await h?.agent.call('mmap.reset', {});
  });

  after(async function () {
    await releaseProbeFunction(h?.agent, dev);
    await h?.close();
  });

  const open = async (file: string): Promise<number> => (await a.call('mmap.open', { mount: 'function', file })).fd;

  /**
   * One IN transfer (gadget to host) of LEN bytes from `buffer`, which holds pattern A and is set
   * to `prot` for the submit: then it is made writable again and set to pattern B, and the host
   * reads. The host gets B on the zero-copy path, A on the copy path; a refused submit moves nothing.
   */
  async function inTransfer(fd: number, buffer: number, prot: Protection): Promise<Seen> {
    const seedA = crypto.randomInt(1, 2 ** 31);
    const seedB = seedA ^ 0x5a5a5a5a;
    await a.call('mmap.poke', { buffer, offset: 0, length: LEN, seed: seedA });
    await a.call('mmap.protect', { buffer, prot });
    const { io } = await a.call('mmap.submit', { fd, buffer, offset: 0, length: LEN, direction: 'in', syscall: 'aio' });
    const early = await a.call('mmap.wait', { io, timeoutMs: 300 }).catch(() => undefined);
    if (early) return { outcome: early };
    await a.call('mmap.protect', { buffer, prot: 'rw' });
    await a.call('mmap.poke', { buffer, offset: 0, length: LEN, seed: seedB });
    const got = await dev!.bulkIn.transferAsync(LEN);
    const outcome = await a.call('mmap.wait', { io, timeoutMs: 10_000 }, 15_000);
    assert.equal(got?.length ?? 0, LEN, 'bytes the host received');
    const path: Path | undefined = verifyPattern(got!, seedB, 0) === -1 ? 'zero-copy' : verifyPattern(got!, seedA, 0) === -1 ? 'copy' : undefined;
    assert.ok(path, 'the host received neither the submitted bytes nor the changed ones');
    return { outcome, path };
  }

  /** One OUT transfer (host to gadget) of LEN bytes into `buffer`, set to `prot` for it. */
  async function outTransfer(fd: number, buffer: number, prot: Protection): Promise<Seen> {
    await a.call('mmap.protect', { buffer, prot });
    const { io } = await a.call('mmap.submit', { fd, buffer, offset: 0, length: LEN, direction: 'out', syscall: 'aio' });
    const data = Buffer.alloc(LEN);
    fillPattern(data, crypto.randomInt(1, 2 ** 31), 0);
    await dev!.bulkOut.transferAsync(data);
    return { outcome: await a.call('mmap.wait', { io, timeoutMs: 10_000 }, 15_000) };
  }

  const show = (s: Seen): string => `${s.outcome.errno ?? `${s.outcome.bytes} bytes`}${s.path ? `, ${s.path}` : ''}`;

  /** Per direction and protection: may the zero-copy path serve it (the mapping allows the UDC's access)? */
  const CASES: Array<{ dir: 'in' | 'out'; prot: Protection; zeroCopy: boolean }> = [
    { dir: 'out', prot: 'r', zeroCopy: false },
    { dir: 'out', prot: 'w', zeroCopy: true },
    { dir: 'out', prot: 'none', zeroCopy: false },
    { dir: 'in', prot: 'r', zeroCopy: true },
    { dir: 'in', prot: 'w', zeroCopy: false },
    { dir: 'in', prot: 'none', zeroCopy: false },
  ];

  for (const c of CASES) {
    const what = c.dir === 'out' ? `OUT read into a ${PROT_NAMES[c.prot]} mapping` : `IN write from a ${PROT_NAMES[c.prot]} mapping`;
    const rule = c.zeroCopy ? 'may go zero-copy' : 'must take the copy path';
    testCase(`${c.dir}-prot-${c.prot}`, `${what}: same outcome as from anonymous memory of that protection; it ${rule}`, async function () {
      if (gate) skipWithReason(this, gate.skip);
      const file = c.dir === 'in' ? 'ep1' : 'ep2';
      const fd = await open(file);
      const transfer = c.dir === 'in' ? inTransfer : outTransfer;
      const anon = (await a.call('mmap.buffer', { kind: 'anonymous', bytes: LEN })).buffer;
      const reference = await transfer(fd, anon, c.prot);
      const mapping = (await a.call('mmap.buffer', { kind: 'mapping', fd, bytes: LEN })).buffer;
      const mapped = await transfer(fd, mapping, c.prot);
      attachLog(this, `anonymous memory (the copy path): ${show(reference)}\nendpoint mapping: ${show(mapped)}`);
      assert.deepEqual(mapped.outcome, reference.outcome, `from the mapping the transfer ended ${show(mapped)}, from anonymous memory of the same protection ${show(reference)}`);
      if (c.dir === 'in' && mapped.path) {
        measure(this, 'zero-copy taken', mapped.path === 'zero-copy' ? 1 : 0, '(1 = yes, 0 = copied)');
        const seen = observablePath(c.zeroCopy ? 'zero-copy' : 'copy');
        if (seen.note) attachLog(this, seen.note);
        assert.equal(mapped.path, seen.path, `the rules say ${c.zeroCopy ? 'zero-copy' : 'copy'}, the kernel took the ${mapped.path} path`);
      }
    }, { needs: ['mmap-zero-copy'] });
  }

  testCase('mprotect-next-transfer', 'mprotect takes effect for the next transfer: an OUT read into a mapping made read-only after mmap fails with EFAULT, and succeeds again once it is writable', async function () {
    if (gate) skipWithReason(this, gate.skip);
    const fd = await open('ep2');
    const mapping = (await a.call('mmap.buffer', { kind: 'mapping', fd, bytes: LEN })).buffer;
    const ro = await outTransfer(fd, mapping, 'r');
    const rw = await outTransfer(fd, mapping, 'rw');
    attachLog(this, `read-only: ${show(ro)}; writable again: ${show(rw)}`);
    assert.equal(ro.outcome.errno, 'EFAULT', `into the read-only mapping: ${show(ro)}`);
    assert.deepEqual(rw.outcome, { bytes: LEN, errno: null }, `into the writable mapping: ${show(rw)}`);
  }, { needs: ['mmap-zero-copy'] });

  testCase('efault-write-frees-bounce', `a write(2) from unreadable memory fails with EFAULT and frees its bounce buffer: ${LEAK_WRITES} such writes of ${LEAK_WRITE_BYTES / KiB} KiB leave the kernel's available memory as it was`, async function () {
    if (!RUN_HAZARDS && !kernelCarriesPatch(EARLY_FAILURE_FIX)) {
      skipWithReason(this, `this kernel lacks our fix ${EARLY_FAILURE_FIX} (mainline leaks the buffer); FFS_LAB_FAULT_HAZARDS=1 runs it anyway`);
    }
    this.timeout(180_000);
    const fd = await open('ep1');
    const buffer = (await a.call('mmap.buffer', { kind: 'anonymous', bytes: LEAK_WRITE_BYTES, prot: 'none' })).buffer;
    const write = async (): Promise<ProbeIoResult> => {
      const { io } = await a.call('mmap.submit', { fd, buffer, offset: 0, length: LEAK_WRITE_BYTES, direction: 'in', syscall: 'plain', settleMs: 0 });
      return a.call('mmap.wait', { io, timeoutMs: 10_000 }, 15_000);
    };
    // One first, so that whatever a first write allocates for good is not counted.
    assert.deepEqual(await write(), { bytes: null, errno: 'EFAULT' }, 'a write from PROT_NONE memory');
    const before = await a.call('mmap.meminfo', {});
    for (let i = 0; i < LEAK_WRITES; i++) assert.deepEqual(await write(), { bytes: null, errno: 'EFAULT' }, `write ${i + 2} from PROT_NONE memory`);
    const after = await a.call('mmap.meminfo', {});
    const lostKiB = before.memAvailableKiB - after.memAvailableKiB;
    const attemptedKiB = (LEAK_WRITES * LEAK_WRITE_BYTES) / KiB;
    attachLog(this, `MemAvailable ${before.memAvailableKiB} -> ${after.memAvailableKiB} KiB, VmallocUsed ${before.vmallocUsedKiB} -> ${after.vmallocUsedKiB} KiB, Slab ${before.slabKiB} -> ${after.slabKiB} KiB`);
    measure(this, 'available memory lost', lostKiB, 'KiB');
    measure(this, 'vmalloc growth', after.vmallocUsedKiB - before.vmallocUsedKiB, 'KiB');
    // A leak loses every buffer (attemptedKiB); noise in a quiet VM is a few MiB at most.
    assert.ok(lostKiB < attemptedKiB / 4, `${lostKiB} KiB of available memory gone after ${LEAK_WRITES} failed writes of ${LEAK_WRITE_BYTES / KiB} KiB (${attemptedKiB} KiB attempted): the bounce buffers leaked`);
  }, { tags: ['leak'] });
});
