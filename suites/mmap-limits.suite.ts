import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import type { AgentClient } from '@ffs-lab/host-runner/agent/agent-client';
import { labContext, type AgentHandle } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, measure, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { UsbFunctionHandle } from '@ffs-lab/host-runner/usb/usb-function-handle';
import { verifyPattern } from '@ffs-lab/contract/pattern';
import type { ProbeFill, ProbeMountInfo, ProbeSystemState } from '@ffs-lab/contract/mmap-probe-protocol';
import { mmapGate, mmapPresence } from './mmap-gate';
import { bindProbeFunction, releaseProbeFunction } from './probe-function';

const KiB = 1024;
/** The memory cgroup case's mount limit (MiB): above the group's 16 MiB, so the group stops the process first. */
const MEMCG_MOUNT_MB = 20;
const MiB = 1024 * KiB;
/** The target kernel's page size in bytes (4 KiB on x86_64; 4, 16 or 64 KiB on arm64): quotas count whole pages. */
const page = (): number => labContext().kernel.pageSize;
/** The spec's default limit when mmap_memory_mb is absent. */
const DEFAULT_LIMIT = 16 * MiB;
/**
 * The largest physically contiguous allocation, PAGE_SIZE << MAX_PAGE_ORDER: 4 MiB with 4 KiB
 * pages, 32 MiB with arm64's 16 KiB, 512 MiB with its 64 KiB (the agent reads the order from
 * /proc/buddyinfo; 10, x86_64's, from an agent too old to say).
 */
const largestContiguous = (): number => page() * 2 ** (labContext().kernel.maxPageOrder ?? 10);
/**
 * Values of mmap_memory_mb the mount must refuse (EINVAL): not a number, negative, past u32, and
 * what is not plain decimal (the series' Documentation: digits only; a hex prefix, a sign, a blank
 * or a suffix fail the mount).
 */
const MALFORMED = ['abc', '-1', '99999999999', '4294967296', '0x10', '+5', ' 5', '5k'];
/** The case name of each MALFORMED value's test. */
const MALFORMED_CASE: Record<string, string> = {
  abc: 'malformed-abc',
  '-1': 'malformed-negative',
  '99999999999': 'malformed-huge',
  '4294967296': 'malformed-u32-overflow',
  '0x10': 'malformed-hex',
  '+5': 'malformed-plus-sign',
  ' 5': 'malformed-blank',
  '5k': 'malformed-suffix',
};

/** True when `err` is an agent error reply with this errno code. */
function code(err: unknown, c: string): boolean {
  return (err as { code?: unknown })?.code === c;
}

/** Fail with a finding a reader of results.json recognises: the message starts with HAZARD. */
function hazard(ctx: Mocha.Context, what: string): never {
  attachLog(ctx, `HAZARD (the series' mapping hardening): ${what}`);
  assert.fail(`HAZARD: ${what}`);
}

/**
 * The series' mapping and limit rules (functionfs.rst, patch 12) from the gadget side: the per-mount
 * limit mmap_memory_mb (default, 0, 1, 64, decimal only, malformed values, remount), whom it is
 * shared by, races, when quota comes back, and the mapping errors (ep0, O_WRONLY, too large,
 * MAP_PRIVATE, offset, mremap). The agent makes FunctionFS mounts with
 * the options under test on unbound gadgets and maps on their endpoint files; only the in-flight
 * case needs a bound function and the host. Tests whose title says "hazard" fail with a message
 * starting "HAZARD:" on a kernel that lacks that hardening.
 */
describe('mmap limits: the mmap_memory_mb quota and mapping errors (functionfs.rst, series patch 12)', function () {
  blockInfo(this, { tags: ['mmap', 'limits'] });
  this.timeout(120_000);
  let h: AgentHandle | undefined;
  let gate: ReturnType<typeof mmapGate>;
  const agent = async (): Promise<AgentClient> => (h ??= await labContext().startAgent()).agent;
  /**
   * After each test: the probes' mounts and mappings released, or, when the test's kernel killed
   * the agent (a quota that lets it map until the OOM killer comes), a fresh agent, so the tests
   * after it run (and judge the kernel) by themselves.
   */
  const settle = async (ctx: Mocha.Context): Promise<AgentClient> => {
    if (h?.agent.gone) {
      attachLog(ctx, `the agent died during this test (${h.agent.gone}): the next tests get a new one`);
      await h.close().catch(() => undefined);
      h = undefined;
    } else {
      await h?.agent.call('mmap.reset', {});
    }
    return agent();
  };

  before(async function () {
    gate = mmapGate(await mmapPresence(agent));
  });

  after(async function () {
    await h?.agent.call('mmap.reset', {}).catch(() => undefined);
    await h?.close();
  });

  // No need for the feature here: on a kernel expected to have it, its absence fails this test.
  testCase('mmap-present', 'mmap zero-copy is present (when the kernel is expected to have it)', function () {
    if (gate?.failure) assert.fail(gate.failure);
    if (gate) skipWithReason(this, gate.skip);
  });

  describe('the quota', function () {
    blockInfo(this, { needs: ['mmap-zero-copy'] });
    let a: AgentClient;
    before(async function () {
      if (gate) skipWithReason(this, gate.skip);
      a = await agent();
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && h) attachLog(this, `agent log (last lines):\n${h.agent.log.slice(-20).join('\n')}`);
      a = await settle(this);
    });

    const mount = (mountOptions?: Record<string, string | number>): Promise<ProbeMountInfo> => a.call('mmap.mount', mountOptions ? { mountOptions } : {});
    const open = async (m: ProbeMountInfo | 'function', file: string): Promise<number> => (await a.call('mmap.open', { mount: m === 'function' ? m : m.id, file })).fd;
    const map = async (fd: number, bytes: number): Promise<number> => (await a.call('mmap.buffer', { kind: 'mapping', fd, bytes })).buffer;
    const fill = (fd: number, maxChunkBytes?: number): Promise<ProbeFill> => a.call('mmap.fill', { fd, ...(maxChunkBytes ? { maxChunkBytes } : {}) }, 60_000);
    /** The mmap must fail with `errno`. */
    const refused = (fd: number, bytes: number, errno: string, why: string) =>
      assert.rejects(map(fd, bytes), (e: unknown) => code(e, errno) || assert.fail(`${why}: expected ${errno}, got ${String(e)}`));
    /** Exactly `limit` maps (in chunks), and one more page then fails with ENOMEM. */
    async function exactLimit(ctx: Mocha.Context, fd: number, limit: number, label: string): Promise<ProbeFill> {
      const f = await fill(fd);
      measure(ctx, `${label}: measured boundary`, f.bytes, 'bytes');
      assert.equal(f.stoppedBy, 'ENOMEM', `mapping stopped by ${f.stoppedBy}, not by the limit (ENOMEM)`);
      assert.equal(f.bytes, limit, `mappings summing to ${f.bytes} bytes fit, the limit is ${limit} bytes (${(f.bytes - limit) / page()} pages off)`);
      await refused(fd, page(), 'ENOMEM', 'one page past the limit');
      return f;
    }

    testCase('new-mapping-zeroed', 'a new mapping holds only zeros, also on pages a mapping just filled and let go (no data passes from one user to the next)', async function () {
      const m = await mount();
      const fd = await open(m, 'ep1');
      // Freed blocks go back to the head of the allocator's lists, so the next mapping of the same
      // size is likely made of the pages just filled: only zeroing at allocation hides them.
      for (const bytes of [page(), 64 * KiB]) {
        for (let round = 0; round < 8; round++) {
          const b = await map(fd, bytes);
          const got = Buffer.from((await a.call('mmap.peek', { buffer: b, offset: 0, length: bytes })).base64, 'base64');
          const at = got.findIndex((x) => x !== 0);
          assert.equal(at, -1, `${bytes} B mapping, round ${round}: byte ${at} is 0x${got[at]?.toString(16)}, left by an earlier mapping`);
          await a.call('mmap.poke', { buffer: b, offset: 0, length: bytes, seed: round + 1 });
          await a.call('mmap.release', { buffer: b });
        }
      }
    });

    testCase('default-limit-boundary', 'default (no option): mappings adding up to exactly 16 MiB succeed, one more page fails with ENOMEM (boundary measured)', async function () {
      const m = await mount();
      const f = await exactLimit(this, await open(m, 'ep1'), DEFAULT_LIMIT, 'default limit');
      measure(this, 'default limit, measured', f.bytes / MiB, 'MiB');
    }, { tags: ['smoke'] });

    testCase('limit-zero-enomem', 'mmap_memory_mb=0 disables mmap: every mmap fails with ENOMEM (one page and 1 MiB, ep1 and ep2)', async function () {
      const m = await mount({ mmap_memory_mb: 0 });
      for (const file of ['ep1', 'ep2']) {
        const fd = await open(m, file);
        await refused(fd, page(), 'ENOMEM', `one page on ${file} with mmap_memory_mb=0`);
        await refused(fd, MiB, 'ENOMEM', `1 MiB on ${file} with mmap_memory_mb=0`);
      }
    });

    for (const mb of [1, 64]) {
      testCase(`limit-${mb}-boundary`, `mmap_memory_mb=${mb}: mappings adding up to exactly ${mb} MiB succeed, one more page fails with ENOMEM`, async function () {
        const m = await mount({ mmap_memory_mb: mb });
        await exactLimit(this, await open(m, 'ep1'), mb * MiB, `mmap_memory_mb=${mb}`);
      });
    }

    testCase('limit-decimal-010', 'mmap_memory_mb=010 is decimal, as documented: exactly 10 MiB maps (not 8, as a base-0 parser reads it)', async function () {
      const m = await mount({ mmap_memory_mb: '010' });
      await exactLimit(this, await open(m, 'ep1'), 10 * MiB, 'mmap_memory_mb=010');
    });

    testCase('limit-u32-max', 'mmap_memory_mb=4294967295 (the u32 maximum) mounts and maps', async function () {
      const m = await mount({ mmap_memory_mb: '4294967295' });
      await map(await open(m, 'ep1'), MiB);
    });

    for (const bad of MALFORMED) {
      testCase(MALFORMED_CASE[bad]!, `mmap_memory_mb=${bad} fails the mount with EINVAL and leaves nothing mounted or in configfs`, async function () {
        const before: ProbeSystemState = await a.call('mmap.mounts', {});
        let err: unknown;
        try {
          const m = await mount({ mmap_memory_mb: bad });
          err = new Error(`the mount succeeded (options: ${m.options})`);
        } catch (e) {
          err = e;
        }
        attachLog(this, `mount: ${String(err)}`);
        assert.ok(code(err, 'EINVAL'), `expected EINVAL, got ${String(err)}`);
        const after: ProbeSystemState = await a.call('mmap.mounts', {});
        assert.deepEqual(after.mounts, before.mounts, 'functionfs mounts changed');
        assert.deepEqual(after.gadgets, before.gadgets, 'configfs gadgets changed');
      });
    }

    testCase('proc-mounts-shows-limit', '/proc/mounts shows mmap_memory_mb=N for a non-default N and nothing for the default (hardening; hazard when missing)', async function () {
      const custom = await mount({ mmap_memory_mb: 3 });
      const dflt = await mount();
      attachLog(this, `mmap_memory_mb=3: ${custom.options}\nno option: ${dflt.options}`);
      assert.doesNotMatch(dflt.options, /mmap_memory_mb/, 'the default limit must not change /proc/mounts');
      if (!/(^|,)mmap_memory_mb=3(,|$)/.test(custom.options)) hazard(this, `/proc/mounts does not show mmap_memory_mb=3 (options: ${custom.options})`);
    }, { tags: ['hazard'] });

    testCase('per-mount', 'the limit is per mount: two mounts with mmap_memory_mb=1 each map exactly 1 MiB at the same time', async function () {
      const m1 = await mount({ mmap_memory_mb: 1 });
      const m2 = await mount({ mmap_memory_mb: 1 });
      await exactLimit(this, await open(m1, 'ep1'), MiB, 'first mount');
      await exactLimit(this, await open(m2, 'ep1'), MiB, 'second mount');
    });

    testCase('shared-by-files', 'the limit is shared by the endpoint files of a mount: 256 KiB on ep1 leaves exactly 768 KiB for ep2 (mmap_memory_mb=1)', async function () {
      const m = await mount({ mmap_memory_mb: 1 });
      await map(await open(m, 'ep1'), 256 * KiB);
      await exactLimit(this, await open(m, 'ep2'), 768 * KiB, 'ep2 after 256 KiB on ep1');
    });

    testCase('shared-by-processes', 'the limit is shared by the processes of a mount: 256 KiB mapped by the agent leaves exactly 768 KiB for another process (mmap_memory_mb=1)', async function () {
      const m = await mount({ mmap_memory_mb: 1 });
      await map(await open(m, 'ep1'), 256 * KiB);
      const r = await a.call('mmap.race', { mount: m.id, file: 'ep2', processes: 1, bytes: 64 * KiB }, 90_000);
      assert.equal(r.stoppedBy[0], 'ENOMEM');
      assert.equal(r.totalBytes, 768 * KiB, `the other process mapped ${r.totalBytes} bytes`);
    });

    testCase('process-race', '8 processes racing to map 64 KiB at a time never exceed the default limit in sum: exactly 16 MiB in total, each stopped by ENOMEM', async function () {
      const m = await mount();
      const r = await a.call('mmap.race', { mount: m.id, file: 'ep1', processes: 8, bytes: 64 * KiB, timeoutMs: 90_000 }, 100_000);
      attachLog(this, `mappings per process: ${r.mapped.join(' ')}; stopped by: ${r.stoppedBy.join(' ')}`);
      measure(this, 'race duration', r.raceMs, 'ms');
      measure(this, 'processes that got mappings', r.mapped.filter((n) => n > 0).length, 'processes');
      assert.ok(r.stoppedBy.every((e) => e === 'ENOMEM'), `stopped by ${r.stoppedBy.join(', ')}`);
      assert.ok(r.totalBytes <= DEFAULT_LIMIT, `the processes mapped ${r.totalBytes} bytes in sum, past the ${DEFAULT_LIMIT} byte limit`);
      assert.equal(r.totalBytes, DEFAULT_LIMIT, `the processes mapped ${r.totalBytes} bytes in sum, less than the limit`);
    });

    testCase('quota-back-after-exit', 'quota comes back when the mapping processes exit: afterwards the agent maps the whole 16 MiB again', async function () {
      const m = await mount();
      const r = await a.call('mmap.race', { mount: m.id, file: 'ep1', processes: 2, bytes: MiB }, 90_000);
      assert.equal(r.totalBytes, DEFAULT_LIMIT, `the processes mapped ${r.totalBytes} bytes`);
      await exactLimit(this, await open(m, 'ep1'), DEFAULT_LIMIT, 'after the processes exited');
    });

    testCase('quota-back-after-munmap', 'quota comes back after munmap: unmapping 4 MiB of a full mount lets exactly 4 MiB map again', async function () {
      const m = await mount();
      const fd = await open(m, 'ep1');
      const f = await exactLimit(this, fd, DEFAULT_LIMIT, 'full');
      const i = f.sizes.indexOf(4 * MiB);
      assert.ok(i >= 0, `no 4 MiB mapping among ${f.sizes.join(', ')}`);
      await a.call('mmap.release', { buffer: f.buffers[i]! });
      await exactLimit(this, fd, 4 * MiB, 'after unmapping 4 MiB');
    });

    testCase('close-keeps-quota', 'close() with a live mapping keeps its quota (the mapping is not gone); munmap after the close returns it', async function () {
      const m = await mount({ mmap_memory_mb: 1 });
      const fd = await open(m, 'ep1');
      const buf = await map(fd, 512 * KiB);
      await a.call('mmap.close', { fd });
      const other = await open(m, 'ep2');
      const held = await exactLimit(this, other, 512 * KiB, 'after close, mapping live');
      for (const b of held.buffers) await a.call('mmap.release', { buffer: b });
      await a.call('mmap.release', { buffer: buf });
      await exactLimit(this, other, MiB, 'after close and munmap');
    });

    testCase('largest-contiguous', 'a single mapping of the largest contiguous allocation (PAGE_SIZE << MAX_PAGE_ORDER: 4 MiB with 4 KiB pages) maps; one page more fails with ENOMEM (quota twice that, at least 64 MiB)', async function () {
      const largest = largestContiguous();
      const order = Math.log2(largest / page());
      // A long run fragments memory: at this order an ENOMEM says nothing about the limit unless a block was free just before.
      const room = await a.call('mmap.contiguous', { order });
      attachLog(this, `free blocks of order ${order}: ${room.freeBefore} before, ${room.freeAfter} after (step: ${room.step}${room.compaction ? '' : '; this kernel has no compaction'})\n/proc/buddyinfo:\n${room.buddyinfo}`);
      if (room.freeAfter === 0) {
        const tried = room.compaction ? 'even after dropping the caches and compacting' : 'even after dropping the caches (this kernel has no CONFIG_COMPACTION)';
        skipWithReason(this, `no free block of ${largest / MiB} MiB (order ${order}) ${tried}: memory is fragmented, so a refusal would not be the limit's (see the log for /proc/buddyinfo)`);
      }
      const m = await mount({ mmap_memory_mb: Math.max(64, (2 * largest) / MiB) });
      const fd = await open(m, 'ep1');
      measure(this, 'largest contiguous mapping', largest / MiB, 'MiB');
      await map(fd, largest);
      await refused(fd, largest + page(), 'ENOMEM', `one mapping of ${largest / MiB} MiB + 1 page`);
      // Eight times as much, within what one agent request may ask (1 GiB).
      const huge = Math.min(8 * largest, 1024 * MiB);
      await refused(fd, huge, 'ENOMEM', `one mapping of ${huge / MiB} MiB`);
    });

    testCase('needs-read-access', 'mmap needs the endpoint file open for reading: on an O_WRONLY file it fails with EACCES, on O_RDONLY a read-only mapping works and a writable shared one fails with EACCES', async function () {
      const m = await mount();
      const wo = (await a.call('mmap.open', { mount: m.id, file: 'ep1', access: 'w' })).fd;
      await refused(wo, page(), 'EACCES', 'mmap of an O_WRONLY endpoint file');
      const ro = (await a.call('mmap.open', { mount: m.id, file: 'ep1', access: 'r' })).fd;
      await a.call('mmap.buffer', { kind: 'mapping', fd: ro, bytes: page(), prot: 'r' });
      await refused(ro, page(), 'EACCES', 'a PROT_READ|PROT_WRITE shared mapping of an O_RDONLY endpoint file');
    });

    const gupReaders = {
      process_vm_readv: 'process_vm_readv reads the bytes of a mapping',
      vmsplice: 'vmsplice splices the bytes of a mapping into a pipe',
      o_direct: 'an O_DIRECT write from a mapping stores its bytes',
    } as const;
    for (const [via, what] of Object.entries(gupReaders) as [keyof typeof gupReaders, string][]) {
      testCase(`gup-${via.replace(/_/g, '-')}`, `ordinary pages: ${what} (get_user_pages works on it; a PFN mapping refuses with EFAULT)`, async function () {
        // O_DIRECT wants whole blocks on a block file system; the others start mid-page on purpose.
        const offset = via === 'o_direct' ? page() : 100;
        const dir = labContext().target?.directIoDir;
        if (via === 'o_direct' && !dir) skipWithReason(this, 'no directory for O_DIRECT on this target (lab config: directIoDir)');
        const m = await mount();
        const fd = await open(m, 'ep1');
        // 32 pages of 4 KiB, at least 4 pages: the read spans several pages, and with 4 KiB pages
        // (past a pipe's default 16 pages) vmsplice takes it in more than one piece.
        const bytes = Math.max(128 * KiB, 4 * page());
        const buffer = await map(fd, bytes);
        const seed = crypto.randomInt(1, 2 ** 31);
        await a.call('mmap.poke', { buffer, offset: 0, length: bytes, seed });
        let got: Buffer;
        try {
          got = Buffer.from((await a.call('mmap.peek', { buffer, offset, length: bytes - page(), via, ...(via === 'o_direct' ? { dir } : {}) })).base64, 'base64');
        } catch (e) {
          if (code(e, 'UNSUPPORTED')) skipWithReason(this, `O_DIRECT cannot be checked in ${dir}: ${(e as Error).message}`);
          return assert.fail(`${via} from the mapping failed (${String(e)}): its pages cannot be pinned, as with remap_pfn_range`);
        }
        assert.equal(verifyPattern(got, seed, offset), -1, `${via} returned other bytes than the mapping holds`);
      });
    }

    testCase('memory-cgroup', 'memory cgroup: a process in a group with memory.max = 16 MiB maps at most 16 MiB on a mount that allows 20, stopped at the group\'s limit (the buffers are charged to its group); the mmap its group refused leaves no quota behind', async function () {
      const m = await mount({ mmap_memory_mb: MEMCG_MOUNT_MB });
      let r;
      try {
        r = await a.call('mmap.race', { mount: m.id, file: 'ep1', processes: 1, bytes: 256 * KiB, memoryMaxBytes: 16 * MiB }, 90_000);
      } catch (e) {
        if (code(e, 'UNSUPPORTED')) skipWithReason(this, `no memory cgroups here: ${(e as Error).message}`);
        throw e;
      }
      attachLog(this, `mapped ${r.totalBytes} bytes in 256 KiB mappings, stopped by ${r.stoppedBy[0]}`);
      measure(this, 'mapped in a 16 MiB memory cgroup', r.totalBytes / MiB, 'MiB');
      // The buffer's own charge fails the mmap with ENOMEM; when the kernel's other charges in the
      // mmap path (the VMA, a page table: 64 KiB each with 64K pages) meet the limit first, the
      // group's OOM killer ends the process there instead. Both stop it at the group's limit.
      assert.ok(['ENOMEM', 'OOM-kill'].includes(r.stoppedBy[0]!), `the mapping process was stopped by ${r.stoppedBy[0]}, not by its group's limit`);
      assert.ok(r.totalBytes <= 16 * MiB, `the process mapped ${r.totalBytes / MiB} MiB in a group limited to 16 MiB: the buffers are not charged to its memory cgroup (or the kernel does no kernel-memory accounting: 6.1 without CONFIG_MEMCG_KMEM, which SLOB rules out)`);
      assert.ok(r.totalBytes >= 4 * MiB, `the process mapped only ${r.totalBytes / MiB} MiB in a group limited to 16 MiB`);
      // The refused mmap's charge must have been taken back (its error path), and the process's
      // mappings returned theirs at its exit: the whole mount maps again, outside the group.
      await exactLimit(this, await open(m, 'ep1'), MEMCG_MOUNT_MB * MiB, 'after the group-limited process exited');
    }, { needs: ['memory-cgroup'] });

    testCase('ep0-enodev', 'mmap on ep0 fails with ENODEV', async function () {
      const m = await mount();
      await refused(await open(m, 'ep0'), page(), 'ENODEV', 'mmap on ep0');
    });

    testCase('map-private-einval', 'hardening: MAP_PRIVATE is refused with EINVAL (hazard when accepted: IN transfers would send stale data)', async function () {
      const m = await mount();
      const fd = await open(m, 'ep1');
      try {
        await a.call('mmap.buffer', { kind: 'mapping', fd, bytes: page(), private: true });
      } catch (e) {
        assert.ok(code(e, 'EINVAL'), `MAP_PRIVATE refused, but with ${String(e)} instead of EINVAL`);
        return;
      }
      hazard(this, 'MAP_PRIVATE mapping of an endpoint file accepted: copy-on-write pages the controller never sees');
    }, { tags: ['hazard'] });

    testCase('nonzero-offset-einval', 'hardening: a nonzero mmap offset is refused with EINVAL (hazard when accepted)', async function () {
      const m = await mount();
      const fd = await open(m, 'ep1');
      try {
        await a.call('mmap.buffer', { kind: 'mapping', fd, bytes: page(), offset: page() });
      } catch (e) {
        assert.ok(code(e, 'EINVAL'), `offset ${page()} refused, but with ${String(e)} instead of EINVAL`);
        return;
      }
      hazard(this, `mmap at offset ${page()} accepted`);
    }, { tags: ['hazard'] });

    testCase('mremap-refused', 'hardening: mremap can neither move nor grow a mapping (hazard when it moves: I/O found by address could be misdirected)', async function () {
      const m = await mount();
      const fd = await open(m, 'ep1');
      const grow = await a.call('mmap.mremap', { buffer: await map(fd, 2 * page()), newBytes: 4 * page() });
      const move = await a.call('mmap.mremap', { buffer: await map(fd, 2 * page()), newBytes: 2 * page() });
      attachLog(this, `grow: ${grow.errno ?? 'moved'}; move: ${move.errno ?? 'moved'}`);
      if (move.errno === null) hazard(this, 'mremap moved a mapping of an endpoint file');
      if (grow.errno === null) hazard(this, 'mremap grew (and moved) a mapping of an endpoint file');
    }, { tags: ['hazard'] });
  });

  describe('remount changes the limit (mount -o remount,mmap_memory_mb=N)', function () {
    blockInfo(this, { needs: ['mmap-zero-copy'] });
    let a: AgentClient;
    before(async function () {
      if (gate) skipWithReason(this, gate.skip);
      a = await agent();
    });
    afterEach(async function () {
      a = await settle(this);
    });

    const mount = (mountOptions?: Record<string, string | number>): Promise<ProbeMountInfo> => a.call('mmap.mount', mountOptions ? { mountOptions } : {});
    const remount = (m: ProbeMountInfo, mountOptions?: Record<string, string | number>): Promise<ProbeMountInfo> => a.call('mmap.remount', { id: m.id, ...(mountOptions ? { mountOptions } : {}) });
    const open = async (m: ProbeMountInfo): Promise<number> => (await a.call('mmap.open', { mount: m.id, file: 'ep1' })).fd;
    const fill = (fd: number): Promise<ProbeFill> => a.call('mmap.fill', { fd }, 60_000);
    const limitOf = async (ctx: Mocha.Context, fd: number, label: string): Promise<number> => {
      const f = await fill(fd);
      measure(ctx, `${label}: measured limit`, f.bytes / MiB, 'MiB');
      for (const b of f.buffers) await a.call('mmap.release', { buffer: b });
      assert.equal(f.stoppedBy, 'ENOMEM', `${label}: mapping stopped by ${f.stoppedBy}`);
      return f.bytes;
    };

    testCase('remount-raise-lower', 'raising and lowering: remounting a default mount with mmap_memory_mb=2, then 24, makes exactly 2, then 24 MiB map, and /proc/mounts shows it', async function () {
      const m = await mount();
      const fd = await open(m);
      const two = await remount(m, { mmap_memory_mb: 2 });
      attachLog(this, `after remount,mmap_memory_mb=2: ${two.options}`);
      assert.equal(await limitOf(this, fd, 'after remount to 2'), 2 * MiB, 'the limit after remount,mmap_memory_mb=2 (a remount that is ignored keeps 16 MiB)');
      assert.match(two.options, /(^|,)mmap_memory_mb=2(,|$)/, '/proc/mounts after the remount');
      const big = await remount(m, { mmap_memory_mb: 24 });
      assert.equal(await limitOf(this, fd, 'after remount to 24'), 24 * MiB, 'the limit after remount,mmap_memory_mb=24');
      assert.match(big.options, /(^|,)mmap_memory_mb=24(,|$)/, '/proc/mounts after the second remount');
    });

    testCase('remount-below-usage', 'lowering below what is mapped keeps the mappings and refuses new ones until usage drops under the new limit', async function () {
      const m = await mount({ mmap_memory_mb: 4 });
      const fd = await open(m);
      const bufs: number[] = [];
      const seed = crypto.randomInt(1, 2 ** 31);
      for (let i = 0; i < 3; i++) {
        const b = (await a.call('mmap.buffer', { kind: 'mapping', fd, bytes: MiB })).buffer;
        await a.call('mmap.poke', { buffer: b, offset: 0, length: 4096, seed, streamOffset: i * 4096 });
        bufs.push(b);
      }
      await remount(m, { mmap_memory_mb: 1 });
      for (let i = 0; i < 3; i++) {
        const got = Buffer.from((await a.call('mmap.peek', { buffer: bufs[i]!, offset: 0, length: 4096 })).base64, 'base64');
        assert.equal(verifyPattern(got, seed, i * 4096), -1, `mapping ${i} lost its contents across the remount`);
      }
      const over = await fill(fd);
      assert.equal(over.bytes, 0, `with 3 MiB mapped under a 1 MiB limit, ${over.bytes} more bytes mapped`);
      await a.call('mmap.release', { buffer: bufs[0]! });
      await a.call('mmap.release', { buffer: bufs[1]! });
      const at = await fill(fd);
      assert.equal(at.bytes, 0, `with 1 MiB mapped under a 1 MiB limit, ${at.bytes} more bytes mapped`);
      await a.call('mmap.release', { buffer: bufs[2]! });
      assert.equal(await limitOf(this, fd, 'after unmapping everything'), MiB, 'the limit once usage dropped');
    });

    testCase('remount-keeps-limit', 'a remount without the option keeps the limit; a malformed value fails the remount with EINVAL and keeps it too', async function () {
      const m = await mount({ mmap_memory_mb: 3 });
      const fd = await open(m);
      await remount(m);
      assert.equal(await limitOf(this, fd, 'after a bare remount'), 3 * MiB, 'the limit after a remount without mmap_memory_mb');
      await assert.rejects(remount(m, { mmap_memory_mb: '0x10' }), (e: unknown) => code(e, 'EINVAL') || assert.fail(`remount,mmap_memory_mb=0x10: expected EINVAL, got ${String(e)}`));
      assert.equal(await limitOf(this, fd, 'after a refused remount'), 3 * MiB, 'the limit after a refused remount');
    });
  });

  describe('quota and in-flight I/O (a bound function, the host reads)', function () {
    blockInfo(this, { needs: ['mmap-zero-copy'] });
    let a: AgentClient;
    let dev: UsbFunctionHandle | undefined;
    const productId = 0x0121;
    before(async function () {
      if (gate) skipWithReason(this, gate.skip);
      a = await agent();
      dev = await bindProbeFunction(a, { name: 'mmap-limits-io', function: 'mmap_limits_io', product: 'mmap limits io', productId, mountOptions: { mmap_memory_mb: 1 } });
    });
    after(async function () {
      await releaseProbeFunction(h?.agent, dev);
    });

    testCase('inflight-aio-munmap', 'munmap and close with an AIO write queued are safe, and the quota comes back only once that write completes (mmap_memory_mb=1)', async function () {
      const len = 64 * KiB;
      const seed = crypto.randomInt(1, 2 ** 31);
      const fd = (await a.call('mmap.open', { mount: 'function', file: 'ep1' })).fd;
      const buf = (await a.call('mmap.buffer', { kind: 'mapping', fd, bytes: len })).buffer;
      await a.call('mmap.poke', { buffer: buf, offset: 0, length: len, seed });
      const { io } = await a.call('mmap.submit', { fd, buffer: buf, offset: 0, length: len, direction: 'in', syscall: 'aio' });
      await a.call('mmap.release', { buffer: buf });
      await a.call('mmap.close', { fd });
      const other = (await a.call('mmap.open', { mount: 'function', file: 'ep2' })).fd;
      const held = await a.call('mmap.fill', { fd: other });
      measure(this, 'quota left while the write is in flight', held.bytes, 'bytes');
      for (const b of held.buffers) await a.call('mmap.release', { buffer: b });
      assert.equal(held.bytes, MiB - len, `with the unmapped buffer still in flight, ${held.bytes} bytes mapped (expected ${MiB - len}: its quota must stay charged until the write completes)`);
      const got = await dev!.bulkIn.transferAsync(len);
      assert.equal(got?.length, len, 'bytes the host received');
      assert.equal(verifyPattern(got!, seed, 0), -1, 'the host received other bytes than were in the buffer before munmap');
      const done = await a.call('mmap.wait', { io, timeoutMs: 10_000 }, 15_000);
      assert.deepEqual(done, { bytes: len, errno: null });
      const back = await a.call('mmap.fill', { fd: other });
      measure(this, 'quota left after the write completed', back.bytes, 'bytes');
      assert.equal(back.bytes, MiB, `after the write completed, ${back.bytes} bytes mapped (expected the whole ${MiB})`);
    });
  });
});
