/**
 * FunctionFS descriptor and string blobs (the v2 format written to ep0), built from plain
 * objects. Everything the kernel would reject is refused here first, with the reason.
 */

/** Speeds a descriptor set is given for. */
export type Speed = 'fs' | 'hs' | 'ss';
export type TransferType = 'bulk' | 'interrupt' | 'isochronous';

/** One data endpoint of the interface. */
export interface EndpointSpec {
  /** 1..15; FunctionFS maps it to a real address at bind time (dummy_udc renumbers). */
  number: number;
  direction: 'in' | 'out';
  type: TransferType;
  /** wMaxPacketSize per speed; defaults: bulk 64/512/1024, interrupt 64/1024/1024, iso 1023/1024/1024. */
  maxPacket?: Partial<Record<Speed, number>>;
  /** bInterval (interrupt/isochronous); default 1. */
  interval?: number;
  /** SuperSpeed companion bMaxBurst, 0..15; default 0. */
  ssMaxBurst?: number;
}

/** Optional FunctionFS header flags. */
export interface FfsFlags {
  /** FUNCTIONFS_EVENTFD: ep0 events also signal this eventfd. */
  eventfd?: number;
  /** FUNCTIONFS_ALL_CTRL_RECIP: deliver every control request, not only the interface's. */
  allCtrlRecip?: boolean;
  /** FUNCTIONFS_CONFIG0_SETUP: deliver control requests in configuration 0 too. */
  config0Setup?: boolean;
}

/** One vendor (by default) interface with its endpoints, for the speeds asked. */
export interface FunctionSpec {
  /** Default 0xff (vendor specific: WebUSB and libusb accept it with no class driver). */
  interfaceClass?: number;
  interfaceSubclass?: number;
  interfaceProtocol?: number;
  /** Index of the interface string (1-based into the strings' list); 0 for none. Default 1. */
  interfaceString?: number;
  endpoints: EndpointSpec[];
  /** Default: all three. */
  speeds?: Speed[];
  flags?: FfsFlags;
}

const MAGIC_V2 = 3;
const STRINGS_MAGIC = 2;
const HAS = { fs: 1, hs: 2, ss: 4 } as const;
const FLAG_EVENTFD = 32;
const FLAG_ALL_CTRL_RECIP = 64;
const FLAG_CONFIG0_SETUP = 128;
const TYPE_BITS: Record<TransferType, number> = { isochronous: 1, bulk: 2, interrupt: 3 };

/** A descriptor set the kernel would reject, with every reason found. */
export class DescriptorError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid FunctionFS descriptors: ${problems.join('; ')}`);
    this.name = 'DescriptorError';
  }
}

function defaultMaxPacket(type: TransferType, speed: Speed): number {
  if (type === 'bulk') return { fs: 64, hs: 512, ss: 1024 }[speed];
  if (type === 'interrupt') return { fs: 64, hs: 1024, ss: 1024 }[speed];
  return { fs: 1023, hs: 1024, ss: 1024 }[speed];
}

/** Check a spec against the USB 2.0/3.x rules FunctionFS and composite enforce. */
export function validateFunction(spec: FunctionSpec): string[] {
  const p: string[] = [];
  const speeds = spec.speeds ?? ['fs', 'hs', 'ss'];
  if (speeds.length === 0) p.push('at least one speed is needed');
  for (const s of speeds) if (!(s in HAS)) p.push(`unknown speed '${s}'`);
  if (!Array.isArray(spec.endpoints)) return [...p, 'endpoints must be an array'];
  if (spec.endpoints.length > 30) p.push('at most 30 endpoints (15 per direction)');
  const byte = (v: number | undefined, name: string) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 255)) p.push(`${name} must be 0..255`);
  };
  byte(spec.interfaceClass, 'interfaceClass');
  byte(spec.interfaceSubclass, 'interfaceSubclass');
  byte(spec.interfaceProtocol, 'interfaceProtocol');
  byte(spec.interfaceString, 'interfaceString');
  const seen = new Set<string>();
  spec.endpoints.forEach((e, i) => {
    const at = `endpoint ${i}`;
    if (!Number.isInteger(e.number) || e.number < 1 || e.number > 15) p.push(`${at}: number must be 1..15 (0 is the control endpoint)`);
    if (e.direction !== 'in' && e.direction !== 'out') p.push(`${at}: direction must be 'in' or 'out'`);
    if (!(e.type in TYPE_BITS)) p.push(`${at}: type must be bulk, interrupt or isochronous`);
    const key = `${e.number}${e.direction}`;
    if (seen.has(key)) p.push(`${at}: endpoint ${e.number} ${e.direction} declared twice`);
    seen.add(key);
    for (const s of speeds) {
      const mps = e.maxPacket?.[s] ?? defaultMaxPacket(e.type, s);
      if (!Number.isInteger(mps) || mps < 1) p.push(`${at}: ${s} maxPacket must be a positive integer`);
      else if (e.type === 'bulk' && s === 'fs' && ![8, 16, 32, 64].includes(mps)) p.push(`${at}: full-speed bulk maxPacket must be 8, 16, 32 or 64 (got ${mps})`);
      else if (e.type === 'bulk' && s === 'hs' && mps !== 512) p.push(`${at}: high-speed bulk maxPacket must be 512 (got ${mps})`);
      else if (e.type === 'bulk' && s === 'ss' && mps !== 1024) p.push(`${at}: SuperSpeed bulk maxPacket must be 1024 (got ${mps})`);
      else if (e.type !== 'bulk' && mps > (s === 'fs' ? (e.type === 'isochronous' ? 1023 : 64) : 1024)) p.push(`${at}: ${s} ${e.type} maxPacket too large (${mps})`);
    }
    if (e.interval !== undefined && (!Number.isInteger(e.interval) || e.interval < 1 || e.interval > 255)) p.push(`${at}: interval must be 1..255`);
    if (e.type === 'isochronous' && e.interval !== undefined && e.interval > 16) p.push(`${at}: isochronous interval must be 1..16`);
    if (e.ssMaxBurst !== undefined && (!Number.isInteger(e.ssMaxBurst) || e.ssMaxBurst < 0 || e.ssMaxBurst > 15)) p.push(`${at}: ssMaxBurst must be 0..15`);
  });
  const f = spec.flags ?? {};
  if (f.eventfd !== undefined && (!Number.isInteger(f.eventfd) || f.eventfd < 0)) p.push('flags.eventfd must be a file descriptor');
  return p;
}

function interfaceDescriptor(spec: FunctionSpec): Buffer {
  return Buffer.from([9, 4, 0, 0, spec.endpoints.length, spec.interfaceClass ?? 0xff, spec.interfaceSubclass ?? 0, spec.interfaceProtocol ?? 0, spec.interfaceString ?? 1]);
}

function endpointDescriptor(e: EndpointSpec, speed: Speed): Buffer {
  const b = Buffer.alloc(7);
  b[0] = 7;
  b[1] = 5;
  b[2] = e.number | (e.direction === 'in' ? 0x80 : 0);
  b[3] = TYPE_BITS[e.type];
  b.writeUInt16LE(e.maxPacket?.[speed] ?? defaultMaxPacket(e.type, speed), 4);
  b[6] = e.type === 'bulk' ? 0 : e.interval ?? 1;
  return b;
}

function ssCompanion(e: EndpointSpec): Buffer {
  const b = Buffer.alloc(6);
  b[0] = 6;
  b[1] = 0x30;
  b[2] = e.ssMaxBurst ?? 0;
  b[3] = 0;
  b.writeUInt16LE(e.type === 'bulk' ? 0 : (e.maxPacket?.ss ?? 1024) * ((e.ssMaxBurst ?? 0) + 1), 4);
  return b;
}

/** The v2 descriptor blob for ep0. Throws {@link DescriptorError} listing every problem. */
export function buildDescriptors(spec: FunctionSpec): Buffer {
  const problems = validateFunction(spec);
  if (problems.length) throw new DescriptorError(problems);
  const speeds = (['fs', 'hs', 'ss'] as const).filter((s) => (spec.speeds ?? ['fs', 'hs', 'ss']).includes(s));
  const f = spec.flags ?? {};
  let flags = speeds.reduce((a, s) => a | HAS[s], 0);
  if (f.eventfd !== undefined) flags |= FLAG_EVENTFD;
  if (f.allCtrlRecip) flags |= FLAG_ALL_CTRL_RECIP;
  if (f.config0Setup) flags |= FLAG_CONFIG0_SETUP;
  const counts: number[] = [];
  const bodies: Buffer[] = [];
  for (const s of speeds) {
    const set = [interfaceDescriptor(spec)];
    for (const e of spec.endpoints) {
      set.push(endpointDescriptor(e, s));
      if (s === 'ss') set.push(ssCompanion(e));
    }
    counts.push(set.length);
    bodies.push(...set);
  }
  const head = Buffer.alloc(12 + (f.eventfd !== undefined ? 4 : 0) + 4 * counts.length);
  head.writeUInt32LE(MAGIC_V2, 0);
  head.writeUInt32LE(flags, 8);
  let o = 12;
  if (f.eventfd !== undefined) {
    head.writeUInt32LE(f.eventfd, o);
    o += 4;
  }
  for (const c of counts) {
    head.writeUInt32LE(c, o);
    o += 4;
  }
  const blob = Buffer.concat([head, ...bodies]);
  blob.writeUInt32LE(blob.length, 4);
  return blob;
}

/**
 * The strings blob: `{ 0x0409: ['Interface name', ...] }`. Every language must list the same
 * number of strings (FunctionFS requires it).
 */
export function buildStrings(byLanguage: Record<number, string[]>): Buffer {
  const langs = Object.entries(byLanguage).map(([k, v]) => [Number(k), v] as const);
  const problems: string[] = [];
  const count = langs[0]?.[1].length ?? 0;
  for (const [code, strs] of langs) {
    if (!Number.isInteger(code) || code < 1 || code > 0xffff) problems.push(`language id ${code} must be 1..0xffff`);
    if (strs.length !== count) problems.push(`language 0x${code.toString(16)} has ${strs.length} strings, the first has ${count}`);
    for (const s of strs) {
      if (s.includes('\0')) problems.push('strings cannot contain NUL');
      if (Buffer.byteLength(s) > 126) problems.push(`string '${s.slice(0, 20)}…' longer than 126 bytes`);
    }
  }
  if (problems.length) throw new DescriptorError(problems);
  const parts = [Buffer.alloc(16)];
  for (const [code, strs] of langs) {
    const c = Buffer.alloc(2);
    c.writeUInt16LE(code, 0);
    parts.push(c, ...strs.map((s) => Buffer.from(`${s}\0`, 'utf8')));
  }
  const blob = Buffer.concat(parts);
  blob.writeUInt32LE(STRINGS_MAGIC, 0);
  blob.writeUInt32LE(blob.length, 4);
  blob.writeUInt32LE(count, 8);
  blob.writeUInt32LE(langs.length, 12);
  return blob;
}
