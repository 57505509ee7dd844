import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRaceElsewhere, scanKernelLog, scanKmemleak } from '../src/kernel/dmesg-scan';

const CLEAN = `[    0.000000] Linux version 6.12.43 (root@lab) #1 SMP PREEMPT_DYNAMIC
[    1.234567] dummy_hcd dummy_hcd.0: USB Host+Gadget Emulator, driver 02 May 2005
[    3.000000] usb 1-1: new high-speed USB device number 2 using dummy_hcd
[    3.100000] WARNING: this line is not a report format
`;

describe('scanKernelLog', () => {
  it('finds nothing in a clean boot log', () => {
    assert.deepEqual(scanKernelLog(CLEAN), []);
  });

  it('recognises KASAN, lockdep, WARN, BUG, hung task and UBSAN reports with an excerpt', () => {
    const log = [
      '[   10.1] ==================================================================',
      '[   10.2] BUG: KASAN: slab-use-after-free in ffs_epfile_release+0x44/0x90',
      '[   10.3] Read of size 8 at addr ffff888004a1c2d8 by task node/321',
      '[   11.0] WARNING: possible circular locking dependency detected',
      '[   12.0] WARNING: CPU: 1 PID: 77 at drivers/usb/gadget/function/f_fs.c:1234 ffs_func_eps_disable+0x1/0x2',
      '[   13.0] BUG: kernel NULL pointer dereference, address: 0000000000000008',
      '[   14.0] INFO: task kworker/0:1:12 blocked for more than 120 seconds.',
      '[   15.0] UBSAN: array-index-out-of-bounds in drivers/usb/gadget/udc/dummy_hcd.c:1400:3',
      '[   16.0] BUG: sleeping function called from invalid context at mm/slab.h:1',
    ].join('\n');
    const r = scanKernelLog(log);
    assert.deepEqual(r.map((x) => x.kind), ['kasan', 'lockdep', 'warning', 'bug', 'hung-task', 'ubsan', 'lockdep']);
    assert.equal(r[0]!.title, 'BUG: KASAN: slab-use-after-free in ffs_epfile_release+0x44/0x90');
    assert.equal(r[0]!.excerpt[1], 'Read of size 8 at addr ffff888004a1c2d8 by task node/321');
  });
});

describe('scanKernelLog and DMA API debugging', () => {
  it('reports what kernel/dma/debug.c finds, not its boot notes', () => {
    const log = [
      '[    0.5] DMA-API: preallocated 65536 debug entries',
      '[    0.5] DMA-API: debugging enabled by kernel config',
      '[   20.0] DMA-API: dummy_udc dummy_udc.0: cacheline tracking EEXIST, overlapping mappings aren\'t supported',
      '[   20.1] WARNING: CPU: 0 PID: 9 at kernel/dma/debug.c:597 add_dma_entry+0x1/0x2',
    ].join('\n');
    const r = scanKernelLog(log);
    assert.deepEqual(r.map((x) => x.kind), ['dma-api', 'warning']);
    assert.match(r[0]!.title, /cacheline tracking EEXIST/);
  });
});

describe('scanKernelLog and KCSAN', () => {
  it('finds data races, and tells those in FunctionFS or dummy_hcd from the rest of the kernel', () => {
    const log = [
      '[   30.0] ==================================================================',
      '[   30.0] BUG: KCSAN: data-race in ffs_mmap_release / ffs_mmap_show_usage',
      '[   30.0] ',
      '[   30.0] write to 0xffff888004a1c2d8 of 8 bytes by task 321 on cpu 1:',
      '[   31.0] BUG: KCSAN: data-race in __ffs_epfile_read_data / copy_to_user',
      '[   32.0] BUG: KCSAN: data-race in dummy_timer+0x12/0x400',
      '[   33.0] BUG: KCSAN: data-race in tick_nohz_next_event / tick_sched_timer',
      '[   34.0] BUG: KCSAN: data-race in functionfs_bind / ffs_func_unbind',
    ].join('\n');
    const r = scanKernelLog(log);
    assert.deepEqual(r.map((x) => x.kind), ['kcsan', 'kcsan', 'kcsan', 'kcsan', 'kcsan']);
    assert.deepEqual(r.map(isRaceElsewhere), [false, false, false, true, false]);
    assert.equal(r[0]!.excerpt[2], 'write to 0xffff888004a1c2d8 of 8 bytes by task 321 on cpu 1:');
  });

  it('counts no other kind of report as a race elsewhere', () => {
    const [kasan] = scanKernelLog('BUG: KASAN: slab-use-after-free in tick_sched_timer+0x44/0x90');
    assert.equal(isRaceElsewhere(kasan!), false);
  });
});

describe('scanKmemleak', () => {
  it('lists each unreferenced object', () => {
    const report = 'unreferenced object 0xffff888003c4e000 (size 4096):\n  comm "node", pid 300, jiffies 4294\n  backtrace:\nunreferenced object 0xffff888003c4f000 (size 64):\n';
    assert.equal(scanKmemleak(report).length, 2);
    assert.deepEqual(scanKmemleak(''), []);
  });
});
