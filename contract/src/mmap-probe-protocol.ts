/**
 * Params and results of the agent's `mmap.*` probe methods (the mapping, limit and zero-copy rules of functionfs.rst, series patch 12): FunctionFS mounts
 * made with given options, open endpoint files, buffers (mappings, anonymous memory), transfers
 * from them, and racing child processes. Handles are small integers the agent hands out; raw file
 * descriptors never cross the wire. Everything a probe holds is released by `mmap.reset`,
 * `shutdown` and the agent's teardown.
 */

/** A mapping's protection: PROT_READ|PROT_WRITE, PROT_READ, PROT_WRITE or PROT_NONE. */
export type Protection = 'rw' | 'r' | 'w' | 'none';

/** A FunctionFS mount the probes use: an `mmap.mount` id, or `function` (the mount of `function.create`). */
export type ProbeMountRef = number | 'function';

/** Result of `mmap.mount`. */
export interface ProbeMountInfo {
  id: number;
  /** Where it is mounted. */
  mount: string;
  /** Its options as /proc/mounts shows them. */
  options: string;
}

/** Result of `mmap.mounts`: what is mounted and configured now, and the agent's live mappings. */
export interface ProbeSystemState {
  /** Every functionfs mount on the system. */
  mounts: Array<{ source: string; target: string; options: string }>;
  /** ffs-lab gadget directories in configfs (names). */
  gadgets: string[];
  /** Mappings made through the addon in the agent process that are still mapped. */
  liveMappings: number;
}

/**
 * Params of `mmap.buffer`. `mapping`: mmap of `bytes` on the open file `fd` (MAP_SHARED at offset 0
 * unless `private`/`offset` say otherwise), followed in the same buffer by `tailBytes` of anonymous
 * memory (so a transfer can straddle the mapping's end). `anonymous`: ordinary process memory
 * (a private anonymous mapping).
 */
export interface ProbeBufferParams {
  kind: 'mapping' | 'anonymous';
  /** Handle from `mmap.open` (mapping only). */
  fd?: number;
  bytes: number;
  private?: boolean;
  offset?: number;
  tailBytes?: number;
  /** Protection to map with (a mapping) or to set right after (anonymous); default `rw`. */
  prot?: Protection;
}

/**
 * How `mmap.peek` reads a buffer: `load` by the agent's own loads; `process_vm_readv`,
 * `vmsplice` and `o_direct` (an O_DIRECT write into a file in the request's `dir`, read back)
 * through the kernel's get_user_pages, which a PFN mapping refuses with EFAULT.
 */
export const PEEK_VIA = ['load', 'process_vm_readv', 'vmsplice', 'o_direct'] as const;
export type PeekVia = (typeof PEEK_VIA)[number];

/** Result of `mmap.meminfo`: fields of /proc/meminfo, KiB. */
export interface ProbeMemInfo {
  memAvailableKiB: number;
  memFreeKiB: number;
  vmallocUsedKiB: number;
  slabKiB: number;
}

/**
 * How `mmap.contiguous` made room: it did not need to, it compacted memory, or it dropped the
 * clean caches and compacted again; on a kernel without compaction it can only drop the caches.
 */
export type CompactionStep = 'none' | 'compacted' | 'dropped caches and compacted' | 'dropped caches';

/**
 * Result of `mmap.contiguous`: free blocks of at least the asked order (over every zone, from
 * /proc/buddyinfo) before and after what the agent did to make one.
 */
export interface ProbeContiguous {
  order: number;
  freeBefore: number;
  freeAfter: number;
  step: CompactionStep;
  /** Whether the kernel can compact memory (CONFIG_COMPACTION: /proc/sys/vm/compact_memory exists). */
  compaction: boolean;
  /** /proc/buddyinfo after the step, as the kernel wrote it. */
  buddyinfo: string;
}

/** Result of `mmap.fill`: mappings made greedily (largest chunk first, down to one page) until the kernel refused. */
export interface ProbeFill {
  /** Buffer handles, in the order they were mapped. */
  buffers: number[];
  /** Size of each, bytes. */
  sizes: number[];
  /** Sum of the mapped sizes: the quota that was left, bytes. */
  bytes: number;
  /** errno of the last refused one-page mmap (`ENOMEM` when the limit stopped it). */
  stoppedBy: string;
}

/** Params of `mmap.submit`: one transfer from/into `buffer[offset, offset+length)` on the file `fd`. */
export interface ProbeSubmitParams {
  fd: number;
  buffer: number;
  offset: number;
  length: number;
  /** in: gadget to host (a write); out: host to gadget (a read). */
  direction: 'in' | 'out';
  /** aio: io_submit (IOCB_CMD_PWRITE/PREAD); plain: write()/read() on a worker thread. */
  syscall: 'aio' | 'plain';
  /**
   * plain only: ms to wait after starting the syscall before replying (default 300), so that the
   * kernel has copied an IN buffer before the caller changes it. aio replies once io_submit returned.
   */
  settleMs?: number;
}

/** Outcome of a transfer (`mmap.wait`): bytes moved, or the errno it failed with. */
export interface ProbeIoResult {
  bytes: number | null;
  errno: string | null;
}

/** Params of `mmap.race`: `processes` child processes open `file` and, all at once, map `bytes` at a time until refused. */
export interface MmapRaceParams {
  mount: ProbeMountRef;
  file: string;
  processes: number;
  bytes: number;
  /** Whole race, spawning included (default 60000 ms); children are killed past it. */
  timeoutMs?: number;
  /** Run the children in a new cgroup v2 group with this `memory.max` (UNSUPPORTED without the memory controller). */
  memoryMaxBytes?: number;
}

/** Result of `mmap.race`. The children have exited (so their mappings are gone) when it returns. */
export interface MmapRaceResult {
  /** Mappings each child made. */
  mapped: number[];
  /**
   * What stopped each child: the errno of the refused mmap, or `OOM-kill` when, in a memory
   * cgroup, the group's OOM killer ended it at the group's limit (a charge of the kernel's own in
   * the mmap path, such as the VMA or a page table, met the limit before a buffer did); `mapped`
   * then counts the mappings it had made.
   */
  stoppedBy: string[];
  /** Sum over all children, bytes. */
  totalBytes: number;
  /** From the start signal to the last child's report, ms. */
  raceMs: number;
}
