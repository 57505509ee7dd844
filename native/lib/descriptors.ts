/**
 * FunctionFS descriptor and string blobs (the v2 format written to ep0), built from plain
 * objects. Everything the kernel would reject is refused here first, with the reason.
 */

import { defaultMaxPacket, validateFunction, type EndpointSpec, type FunctionSpec, type Speed, type TransferType } from '@ffs-lab/contract/function-spec';

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
