import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { native } from '../lib/bindings';
import { patternTable } from '@ffs-lab/contract/pattern';

/*
 * Every numeric argument of every addon entry point, given every hostile value: a TypeError or a
 * RangeError that names the argument, thrown before any syscall, never a silent wrap, a truncation
 * or undefined behaviour. Valid values stand in for the other arguments.
 */
describe('native entry points: hostile numeric arguments', () => {
  let dir: string;
  let file: number;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-args-'));
    file = fs.openSync(path.join(dir, 'data'), 'w+');
    fs.ftruncateSync(file, 1 << 16);
  });
  after(() => {
    fs.closeSync(file);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A value and the error it must raise, in an argument whose bounds are [min, max]. */
  const hostile = (max: number, min = 0, optional = false): Array<[string, unknown, ErrorConstructor]> => [
    ['NaN', NaN, RangeError],
    ['a fraction', min + 0.5, RangeError],
    ['below the minimum', min - 1, RangeError],
    ['-1', -1, RangeError],
    ['past the maximum', max + 1, RangeError],
    ['2^53 + 2', 2 ** 53 + 2, RangeError],
    ['Infinity', Infinity, RangeError],
    ['-Infinity', -Infinity, RangeError],
    ['a numeric string', '3', TypeError],
    ['null', null, TypeError],
    ['a BigInt', 3n, TypeError],
    ['an object', {}, TypeError],
    ...(optional ? [] : ([['undefined', undefined, TypeError]] as Array<[string, unknown, ErrorConstructor]>)),
  ];

  const FD = 2 ** 31 - 1;
  const SAFE = 2 ** 53 - 1;
  const MAP = 2 ** 48;
  const n = () => native() as unknown as Record<string, (...a: unknown[]) => unknown> & Record<string, new (...a: unknown[]) => unknown>;
  const shape = { transferSize: 4096, totalBytes: 8192, transfers: 2, maxPacketSize: 512, pattern: patternTable(7) };
  const pumpOpts = (over: Record<string, unknown>) => ({ fd: 0, write: true, slots: [new Uint8Array(4096)], ...shape, onDone: () => undefined, ...over });
  const ab = () => native().mmapFile(file, 4096);

  /** entry point, argument name (as the message names it), bounds, and the call with the value in place. */
  const cases: Array<{ fn: string; arg: string; max: number; min?: number; optional?: boolean; call: (v: unknown) => unknown }> = [
    { fn: 'mmapFile', arg: 'fd', max: FD, call: (v) => n().mmapFile!(v, 4096) },
    { fn: 'mmapFile', arg: 'length', max: MAP, min: 1, call: (v) => n().mmapFile!(file, v) },
    { fn: 'mmapFile', arg: 'options.offset', max: SAFE, optional: true, call: (v) => n().mmapFile!(file, 4096, { offset: v }) },
    { fn: 'mmapFile', arg: 'options.tail', max: MAP, optional: true, call: (v) => n().mmapFile!(file, 4096, { tail: v }) },
    { fn: 'tryMremap', arg: 'newLength', max: MAP, min: 1, call: (v) => { const b = ab(); try { return n().tryMremap!(b, v); } finally { native().munmapBuffer(b); } } },
    ...['fifoStatus', 'fifoFlush', 'clearHalt', 'endpointRevmap', 'endpointDescriptor'].map((fn) => ({ fn, arg: 'fd', max: FD, call: (v: unknown) => n()[fn]!(v) })),
    { fn: 'interfaceRevmap', arg: 'fd', max: FD, call: (v) => n().interfaceRevmap!(v, 0) },
    { fn: 'interfaceRevmap', arg: 'intf', max: 255, call: (v) => n().interfaceRevmap!(0, v) },
    { fn: 'udmabufCreate', arg: 'size', max: MAP, min: 1, call: (v) => n().udmabufCreate!(v) },
    ...['dmabufAttach', 'dmabufDetach'].flatMap((fn) => [
      { fn, arg: 'epFd', max: FD, call: (v: unknown) => n()[fn]!(v, 0) },
      { fn, arg: 'dmabufFd', max: FD, call: (v: unknown) => n()[fn]!(0, v) },
    ]),
    ...['dmabufTransfer', 'dmabufTransferFenced'].flatMap((fn) => [
      { fn, arg: 'epFd', max: FD, call: (v: unknown) => n()[fn]!(v, 0, 4096) },
      { fn, arg: 'dmabufFd', max: FD, call: (v: unknown) => n()[fn]!(0, v, 4096) },
      { fn, arg: 'length', max: SAFE, call: (v: unknown) => n()[fn]!(0, 0, v) },
      { fn, arg: 'flags', max: 2 ** 32 - 1, optional: true, call: (v: unknown) => n()[fn]!(0, 0, 4096, v) },
    ]),
    { fn: 'dmabufExportSyncFile', arg: 'dmabufFd', max: FD, call: (v) => n().dmabufExportSyncFile!(v) },
    { fn: 'syncFileStatus', arg: 'syncFd', max: FD, call: (v) => n().syncFileStatus!(v) },
    { fn: 'errnoName', arg: 'errno', max: 4095, call: (v) => n().errnoName!(v) },
    { fn: 'dup', arg: 'fd', max: FD, call: (v) => n().dup!(v) },
    { fn: 'AioContext', arg: 'maxEvents', max: 65536, min: 1, call: (v) => new (n().AioContext!)(v, () => undefined) },
    ...['fd', 'offset', 'length', 'id'].map((f) => ({
      fn: 'AioContext.submit',
      arg: `request.${f}`,
      max: f === 'fd' ? FD : SAFE,
      call: (v: unknown) => {
        const ctx = new (native().AioContext)(1, () => undefined);
        try {
          return ctx.submit([{ fd: 0, write: true, buffer: new ArrayBuffer(16), offset: 0, length: 16, id: 1, [f]: v } as never]);
        } finally {
          ctx.close();
        }
      },
    })),
    {
      fn: 'AioContext.cancel',
      arg: 'id',
      max: SAFE,
      call: (v) => {
        const ctx = new (native().AioContext)(1, () => undefined);
        try {
          return ctx.cancel(v as number);
        } finally {
          ctx.close();
        }
      },
    },
    { fn: 'FdWatcher', arg: 'fd', max: FD, call: (v) => new (n().FdWatcher!)(v, 'readable', () => undefined) },
    ...['StreamPump', 'CopyPump', 'DmabufPump'].flatMap((fn) => [
      { fn, arg: 'fd', max: FD, call: (v: unknown) => new (n()[fn]!)(pumpOpts({ fd: v, dmabufFds: [0] })) },
      { fn, arg: 'transferSize', max: 2 ** 30, call: (v: unknown) => new (n()[fn]!)(pumpOpts({ transferSize: v, dmabufFds: [0] })) },
      { fn, arg: 'totalBytes', max: SAFE, call: (v: unknown) => new (n()[fn]!)(pumpOpts({ totalBytes: v, dmabufFds: [0] })) },
      { fn, arg: 'transfers', max: SAFE, call: (v: unknown) => new (n()[fn]!)(pumpOpts({ transfers: v, dmabufFds: [0] })) },
      { fn, arg: 'maxPacketSize', max: 65535, min: 1, call: (v: unknown) => new (n()[fn]!)(pumpOpts({ maxPacketSize: v, dmabufFds: [0] })) },
      { fn, arg: 'settleMs', max: 600000, optional: true, call: (v: unknown) => new (n()[fn]!)(pumpOpts({ settleMs: v, dmabufFds: [0] })) },
    ]),
    { fn: 'DmabufPump', arg: 'dmabufFds[0]', max: FD, call: (v) => new (n().DmabufPump!)(pumpOpts({ dmabufFds: [v] })) },
    ...['transferSize', 'totalBytes', 'transfers', 'maxPacketSize'].map((f) => ({
      fn: 'Tally',
      arg: f,
      max: f === 'transferSize' ? 2 ** 30 : f === 'maxPacketSize' ? 65535 : SAFE,
      min: f === 'maxPacketSize' ? 1 : 0,
      call: (v: unknown) => new (n().Tally!)({ ...shape, [f]: v }),
    })),
    ...(['fill', 'sent', 'received'] as const).map((m) => ({ fn: `Tally.${m}`, arg: 'k', max: 1, call: (v: unknown) => new (native().Tally)(shape)[m](Buffer.alloc(4096), v as number, 4096) })),
    ...(['sent', 'received'] as const).map((m) => ({ fn: `Tally.${m}`, arg: 'bytes moved (n)', max: SAFE, call: (v: unknown) => new (native().Tally)(shape)[m](Buffer.alloc(4096), 0, v as number) })),
  ];

  for (const c of cases) {
    it(`${c.fn}: ${c.arg}`, () => {
      for (const [what, v, cls] of hostile(c.max, c.min ?? 0, c.optional)) {
        assert.throws(
          () => c.call(v),
          (e: unknown) => {
            assert.ok(e instanceof cls, `${c.fn}(${c.arg} = ${what}): threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}, expected a ${cls.name}`);
            assert.ok((e as Error).message.includes(c.arg), `${c.fn}(${c.arg} = ${what}): the message does not name ${c.arg}: ${(e as Error).message}`);
            return true;
          },
          `${c.fn}(${c.arg} = ${what}) did not throw`,
        );
      }
    });
  }
});
