import { IO_MODES } from './io-modes';
import { validateFunction, type FunctionSpec } from './function-spec';
import { KERNEL_FUNCTIONS, type MethodName, type Methods } from './protocol';
import { PACKET_PATTERNS } from './packet-pattern';
import { FAULT_SIGNALS } from './fault-protocol';
import { PEEK_VIA } from './mmap-probe-protocol';
import { MAX_DEPTH, MAX_STREAM_TIMEOUT_MS, MAX_TRANSFER_SIZE, MAX_TOTAL_BYTES, MAX_ZLP_TRANSFERS, shapeProblems } from './stream-layout';
import { arrayOf, bool, either, int, object, oneOf, optional, recordOf, refined, str, type Schema } from './schema';

/**
 * One schema per agent method: the agent checks every request's params against it before the
 * handler runs (agent-main.ts), and the runner checks what it sends against the same schema
 * (agent-client.ts), so a malformed request fails with BAD_REQUEST naming the field, on either
 * side, and never reaches a syscall. The table is typed against {@link Methods}: a schema whose
 * accepted shape is not the method's declared params is a compile error (ranges and patterns are
 * the schema's alone; request-schemas.test.ts feeds it what the suites send).
 */

/** Largest 32-bit unsigned value: seeds, ioctl flags. */
const U32 = 0xffff_ffff;
/** Longest timeout any request may ask for (ms): a stream's longest deadline, one hour. Past 2^31 - 1, Node's timers fire at once. */
const MAX_REQUEST_TIMEOUT_MS = MAX_STREAM_TIMEOUT_MS;
/** Largest handle number (probe files, buffers, transfers, streams): handles count up from 1. */
const HANDLE = int(1, Number.MAX_SAFE_INTEGER);
/** Largest probe buffer (bytes): probe-memory.ts's MAX_PROBE_BUFFER. */
const PROBE_BYTES = 1 << 30;
/** Largest DMABUF buffer (bytes): udmabuf's default size_limit_mb is 64. */
const DMABUF_BYTES = 64 << 20;
/** A pid on Linux (PID_MAX_LIMIT is 2^22). */
const PID = int(1, 2 ** 22);

const timeout = (max = MAX_REQUEST_TIMEOUT_MS, min = 1) => int(min, max);
const NONE = object({});
/** Longest a fault method may keep a process stopped and running in turns (ms). */
const MAX_FAULT_WAIT_MS = 600_000;

/** A program to run, as an absolute path. */
const PROGRAM_PATH = str({ max: 4096, pattern: /^\/./, expects: 'an absolute path (no NUL, at most 4096 characters)' });
/** A directory on the target, as an absolute path. */
const DIRECTORY = str({ max: 4096, pattern: /^\/./, expects: 'an absolute directory path (no NUL, at most 4096 characters)' });
const ARG = str({ max: 4096 });
/** A command line whose program is an absolute path: the agent runs as root, so never a PATH lookup. */
const ARGV = refined(arrayOf(ARG, { min: 1, max: 256 }), (argv) => (argv[0]!.startsWith('/') ? [] : ['its first item (the program) must be an absolute path']));
/** An endpoint file name in a FunctionFS mount: `ep0`..`ep31` (never a path). */
const ENDPOINT_FILE = str({ pattern: /^ep([0-9]|[12][0-9]|3[01])$/, expects: 'an endpoint file name (ep0..ep31)' });

/**
 * FunctionFS mount options: `name: value`, joined as `name=value,...` for mount(8) (one argv
 * item, no shell). Names and string values cannot hold a comma or `=`, so no value can smuggle in
 * another option; a value may hold spaces, so that the kernel's parsing of one can be tested.
 */
const MOUNT_OPTIONS = recordOf(
  either(either(str({ max: 64, pattern: /^[A-Za-z0-9_.:+ -]*$/, expects: 'a string of [A-Za-z0-9_.:+ -], at most 64' }), int(-(2 ** 53) + 1, Number.MAX_SAFE_INTEGER)), bool()),
  { key: /^[a-z][a-z0-9_]{0,31}$/, keyExpects: 'a mount option name ([a-z][a-z0-9_]*)', maxKeys: 16 },
);

/** A mapping's protection (native/lib/bindings.ts Protection). */
const PROT = oneOf(['rw', 'r', 'w', 'none'] as const);

/** USB string descriptor text as configfs takes it. */
const USB_STRING = str({ max: 126, pattern: /^[^\n]*$/, expects: 'a string of at most 126 characters without newlines' });
const U16 = int(0, 0xffff);

/** What gadget.create and function.create take: see GadgetSpec in protocol.ts. */
export const GADGET_SPEC = object({
  name: str({ pattern: /^[A-Za-z0-9_-]{1,40}$/, expects: '1-40 of [A-Za-z0-9_-]' }),
  vendorId: U16,
  productId: U16,
  bcdUSB: optional(U16),
  bcdDevice: optional(U16),
  manufacturer: USB_STRING,
  product: USB_STRING,
  serial: USB_STRING,
  configuration: optional(USB_STRING),
  maxPowerMa: optional(int(0, 900)),
  function: str({ pattern: /^[A-Za-z0-9_]{1,40}$/, expects: '1-40 of [A-Za-z0-9_]' }),
  mountOptions: optional(MOUNT_OPTIONS),
  kernelFunction: optional(
    // attributes first: with every other field of a gadget spec missing, its problem is still among the eight shown.
    object({
      attributes: optional(recordOf(int(0, 2 ** 31 - 1), { key: /^[a-z][a-z0-9_]{0,31}$/, keyExpects: 'a configfs attribute name ([a-z][a-z0-9_]*)', maxKeys: 16 })),
      type: oneOf(KERNEL_FUNCTIONS),
    }),
  ),
});

const BYTE = int(0, 255);

/** A FunctionFS function's interface and endpoints; descriptors.ts's validateFunction adds every rule FunctionFS enforces. */
const FUNCTION_SPEC: Schema<FunctionSpec> = refined(
  object({
    interfaceClass: optional(BYTE),
    interfaceSubclass: optional(BYTE),
    interfaceProtocol: optional(BYTE),
    interfaceString: optional(BYTE),
    endpoints: arrayOf(
      object({
        number: BYTE,
        direction: oneOf(['in', 'out'] as const),
        type: oneOf(['bulk', 'interrupt', 'isochronous'] as const),
        maxPacket: optional(recordOf(U16, { key: /^(fs|hs|ss)$/, keyExpects: 'fs, hs or ss', maxKeys: 3 })),
        interval: optional(BYTE),
        ssMaxBurst: optional(BYTE),
      }),
      { min: 1, max: 30 },
    ),
    speeds: optional(arrayOf(oneOf(['fs', 'hs', 'ss'] as const), { min: 1, max: 3 })),
    flags: optional(object({ eventfd: optional(int(0, 2 ** 31 - 1)), allCtrlRecip: optional(bool()), config0Setup: optional(bool()) })),
  }),
  validateFunction,
);

const STREAM_START = refined(
  object({
    kind: oneOf(['source', 'sink', 'echo'] as const),
    mode: oneOf(IO_MODES),
    transferSize: int(0, MAX_TRANSFER_SIZE),
    totalBytes: int(0, MAX_TOTAL_BYTES),
    transfers: optional(int(0, MAX_ZLP_TRANSFERS)),
    depth: int(1, MAX_DEPTH),
    seed: int(0, U32),
    endpoint: optional(int(1, 30)),
    timeoutMs: optional(timeout()),
    maxBytesInFlight: optional(int(1, 1 << 30)),
    waitReady: optional(bool()),
    pattern: optional(oneOf(PACKET_PATTERNS)),
  }),
  (p) => [
    ...shapeProblems(p),
    ...(p.kind === 'echo' && p.endpoint !== undefined ? ['endpoint is not used by echo (it loops the first OUT endpoint back to the first IN)'] : []),
    ...(p.pattern !== undefined && (p.kind === 'echo' || p.transferSize === 0) ? ['pattern (Gadget Zero\'s) is for source and sink streams of transfers longer than 0'] : []),
  ],
);

const PROBE_MOUNT = either(HANDLE, oneOf(['function'] as const));

/** Every method's params schema. */
export const REQUEST_SCHEMAS: { readonly [M in MethodName]: Schema<Methods[M]['params']> } = {
  hello: NONE,
  features: object({ probe: PROGRAM_PATH }),
  'gadget.create': GADGET_SPEC,
  'program.start': object({
    argv: ARGV,
    cwdInMount: optional(bool()),
    waitFor: optional(arrayOf(ENDPOINT_FILE, { max: 32 })),
    timeoutMs: optional(timeout()),
  }),
  'program.run': object({
    argv: ARGV,
    timeoutMs: optional(timeout()),
    env: optional(recordOf(ARG, { key: /^[A-Za-z_][A-Za-z0-9_]{0,63}$/, keyExpects: 'an environment variable name', maxKeys: 64 })),
  }),
  'program.status': NONE,
  'program.stop': NONE,
  // The handler binds only a name listed in /sys/class/udc; device-tree names may hold ',' or '+'.
  'gadget.bind': object({ udc: optional(str({ pattern: /^[^/\n]{1,255}$/, expects: 'a UDC name (as in /sys/class/udc)' })) }),
  'gadget.unbind': NONE,
  'gadget.remove': NONE,
  'kernel.log': object({ kmemleakScan: optional(bool()) }),
  'kernel.messages': object({ afterSeq: optional(int(-1, Number.MAX_SAFE_INTEGER)) }),
  'function.create': refined(
    object({
      gadget: GADGET_SPEC,
      function: optional(FUNCTION_SPEC),
      strings: optional(arrayOf(refined(str({ max: 126 }), (s) => (Buffer.byteLength(s) > 126 ? ['must be at most 126 bytes in UTF-8'] : [])), { max: 16 })),
      control: optional(oneOf(['stall', 'gadget-zero'] as const)),
    }),
    // Without strings, the agent gives the gadget's product name as the one string.
    (p) => {
      const strings = p.strings?.length ?? 1;
      const iString = p.function?.interfaceString ?? 1;
      return [
        ...(iString > strings ? [`function.interfaceString ${iString} is past the ${strings} string(s) given`] : []),
        ...(p.gadget.kernelFunction ? ['gadget.kernelFunction is for gadget.create: function.create serves a FunctionFS function'] : []),
      ];
    },
  ),
  'function.status': object({ waitEnabledMs: optional(timeout(MAX_REQUEST_TIMEOUT_MS, 0)) }),
  'stream.start': STREAM_START,
  'stream.status': object({ id: HANDLE }),
  'stream.wait': object({ id: HANDLE, timeoutMs: optional(timeout(MAX_REQUEST_TIMEOUT_MS, 0)) }),
  'stream.stop': object({ id: HANDLE }),
  'mmap.mount': object({ mountOptions: optional(MOUNT_OPTIONS) }),
  'mmap.unmount': object({ id: HANDLE }),
  'mmap.mounts': NONE,
  'mmap.remount': object({ id: HANDLE, mountOptions: optional(MOUNT_OPTIONS) }),
  'mmap.open': object({ mount: PROBE_MOUNT, file: ENDPOINT_FILE, access: optional(oneOf(['rw', 'r', 'w'] as const)) }),
  // offset and length (page-aligned, checked by the addon) protect part of the buffer, splitting its VMA.
  'mmap.protect': object({ buffer: HANDLE, prot: PROT, offset: optional(int(0, PROBE_BYTES)), length: optional(int(1, PROBE_BYTES)) }),
  'mmap.meminfo': NONE,
  // MAX_PAGE_ORDER is at most 15 on any architecture Linux builds (arm64 with 16 KiB pages: 11; 64 KiB: 13).
  'mmap.contiguous': object({ order: int(0, 15) }),
  'mmap.dup': object({ fd: HANDLE }),
  'mmap.close': object({ fd: HANDLE }),
  'mmap.buffer': refined(
    object({
      kind: oneOf(['mapping', 'anonymous'] as const),
      fd: optional(HANDLE),
      bytes: int(1, PROBE_BYTES),
      private: optional(bool()),
      offset: optional(int(0, PROBE_BYTES)),
      tailBytes: optional(int(0, PROBE_BYTES)),
      prot: optional(PROT),
    }),
    (p) => (p.kind === 'mapping' && p.fd === undefined ? ['a mapping needs fd (from mmap.open)'] : []),
  ),
  'mmap.fill': object({ fd: HANDLE, maxChunkBytes: optional(int(1, PROBE_BYTES)) }),
  'mmap.release': object({ buffer: HANDLE }),
  'mmap.mremap': object({ buffer: HANDLE, newBytes: int(1, PROBE_BYTES) }),
  'mmap.poke': object({ buffer: HANDLE, offset: int(0, PROBE_BYTES), length: int(0, PROBE_BYTES), seed: int(0, U32), streamOffset: optional(int(0, Number.MAX_SAFE_INTEGER)) }),
  'mmap.peek': object({ buffer: HANDLE, offset: int(0, PROBE_BYTES), length: int(0, 1 << 20), via: optional(oneOf(PEEK_VIA)), dir: optional(DIRECTORY) }),
  'mmap.submit': object({
    fd: HANDLE,
    buffer: HANDLE,
    offset: int(0, PROBE_BYTES),
    length: int(0, PROBE_BYTES),
    direction: oneOf(['in', 'out'] as const),
    syscall: oneOf(['aio', 'plain'] as const),
    settleMs: optional(int(0, 10_000)),
  }),
  'mmap.wait': object({ io: HANDLE, timeoutMs: optional(timeout(600_000)) }),
  'mmap.race': object({ mount: PROBE_MOUNT, file: ENDPOINT_FILE, processes: int(1, 64), bytes: int(1, PROBE_BYTES), timeoutMs: optional(timeout(600_000)), memoryMaxBytes: optional(int(1 << 20, PROBE_BYTES)) }),
  'mmap.reset': NONE,
  shutdown: NONE,
  'dmabuf.open': object({ endpoint: int(1, 30), nonBlocking: optional(bool()) }),
  'dmabuf.create': refined(object({ size: int(4096, DMABUF_BYTES) }), (p) => (p.size % 4096 ? ['size must be a multiple of 4096 (whole pages)'] : [])),
  'dmabuf.attach': object({ handle: HANDLE, buffer: HANDLE }),
  'dmabuf.detach': object({ handle: HANDLE, buffer: HANDLE }),
  'dmabuf.transfer': object({
    handle: HANDLE,
    buffer: HANDLE,
    length: int(0, Number.MAX_SAFE_INTEGER),
    flags: optional(int(0, U32)),
    fill: optional(object({ seed: int(0, U32), offset: int(0, Number.MAX_SAFE_INTEGER), length: optional(int(0, DMABUF_BYTES)) })),
  }),
  'dmabuf.wait': object({ transfer: HANDLE, timeoutMs: timeout(MAX_REQUEST_TIMEOUT_MS, 0) }),
  'dmabuf.verify': object({ buffer: HANDLE, length: int(0, DMABUF_BYTES), seed: int(0, U32), offset: int(0, Number.MAX_SAFE_INTEGER), from: optional(int(0, DMABUF_BYTES)) }),
  'dmabuf.close': object({ handle: HANDLE }),
  'dmabuf.loop': object({ endpoint: int(1, 30), cycles: int(1, 1_000_000), size: int(1, DMABUF_BYTES), seed: int(0, U32), end: oneOf(['detach', 'close'] as const), timeoutMs: timeout() }),
  'dmabuf.reset': NONE,
  'dmabuf.probe': NONE,
  'fault.signal': object({ pid: int(2, 2 ** 22), signal: oneOf(FAULT_SIGNALS), of: optional(oneOf(['agent', 'ssh-session'] as const)) }),
  'fault.process': object({ pid: PID, threads: optional(bool()) }),
  'fault.stopLoop': refined(object({ pid: int(2, 2 ** 22), rounds: int(1, 100_000), stopMs: int(0, 10_000), runMs: int(0, 10_000) }), (p) =>
    p.rounds * (p.stopMs + p.runMs) > MAX_FAULT_WAIT_MS ? [`rounds x (stopMs + runMs) must be at most ${MAX_FAULT_WAIT_MS} ms`] : [],
  ),
  'fault.cancelStorm': object({
    mode: oneOf(['aio', 'mmap'] as const),
    depth: int(1, 256),
    transferSize: int(1, 4 << 20),
    rounds: int(1, 1000),
    disconnect: optional(oneOf(['soft', 'unbind'] as const)),
    enableTimeoutMs: optional(int(1, 120_000)),
  }),
  'fault.openCloseTeardown': object({ workers: int(1, 16), leadMs: int(0, 60_000), tailMs: int(0, 60_000), mmap: bool(), dataFilesOnly: optional(bool()) }),
};
