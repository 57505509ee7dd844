import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { countsLine, isOneLine, oneLine } from '../src/faults/one-line';
import { leftovers } from '../src/faults/fault-gadget';
import { streamProblems, type FaultStreamOptions } from '../src/faults/fault-stream';
import type { StreamEndTally, StreamReport } from '@ffs-lab/contract/protocol';
import type { HostStreamReport } from '../src/usb/usb-stream';

test('oneLine keeps the first line of a message and puts the code in front when missing', () => {
  const e = Object.assign(new Error('device gone\n    at foo (/x.js:1:2)'), { code: 'LIBUSB_ERROR_NO_DEVICE' });
  assert.equal(oneLine(e), 'LIBUSB_ERROR_NO_DEVICE: device gone');
  assert.equal(oneLine(Object.assign(new Error('ESHUTDOWN: read'), { code: 'ESHUTDOWN' })), 'ESHUTDOWN: read');
  assert.equal(oneLine('plain'), 'plain');
  assert.equal(oneLine(new Error('\n\n  second\nthird')), 'second');
  assert.ok(oneLine(new Error('x'.repeat(1000))).length <= 400);
});

test('isOneLine refuses several lines and stack frames', () => {
  assert.equal(isOneLine('stream.status: agent exited with KILL'), true);
  assert.equal(isOneLine('a\nb'), false);
  assert.equal(isOneLine('Error: x at Object.<anonymous> (/work/a.js:10:5)'), false);
  assert.equal(isOneLine(''), false);
});

test('countsLine sorts outcomes by count', () => {
  assert.equal(countsLine({ ok: 1, ESHUTDOWN: 60, ECONNRESET: 3 }), 'ESHUTDOWN:60 ECONNRESET:3 ok:1');
  assert.equal(countsLine({}), '');
});

test('leftovers names new gadgets, new mounts and agent mappings, and ignores what was there before', () => {
  const before = { mounts: [{ source: 'adb', target: '/dev/usb-ffs/adb', options: 'rw' }], gadgets: [], liveMappings: 0 };
  assert.deepEqual(leftovers(before, { ...before, liveMappings: 3 }), []);
  const now = { mounts: [...before.mounts, { source: 'fault_kill', target: '/run/ffs-lab/ffs/fault_kill', options: 'rw' }], gadgets: ['ffslab-fault-kill'], liveMappings: 0 };
  assert.deepEqual(leftovers(before, now, 2), [
    'gadget(s) left in configfs: ffslab-fault-kill',
    'FunctionFS mount(s) left: fault_kill on /run/ffs-lab/ffs/fault_kill',
    '2 mapping(s) left in the agent',
  ]);
});

const tally = (bytes: number, transfers: number, checksum: string, firstBadOffset: number | null = null): StreamEndTally => ({ bytes, transfers, checksum, firstBadOffset, badTransfers: firstBadOffset === null ? 0 : 1 });
const opts: FaultStreamOptions = { kind: 'sink', mode: 'copy', depth: 1, transferSize: 16384, totalBytes: 65536, seed: 1, timeoutMs: 1000 };
const agent = (received: StreamEndTally, state: StreamReport['state'] = 'done'): StreamReport =>
  ({ id: 1, kind: 'sink', mode: 'copy', state, shape: { transferSize: 16384, totalBytes: 65536 }, plannedTransfers: 4, depth: 1, maxPacketSize: 512, received, elapsedMs: 1, cpuUserMs: 0, cpuSystemMs: 0, rssStartBytes: 0, rssPeakBytes: 0 }) as StreamReport;
const host = (t: StreamEndTally, error?: { code: string; message: string }): HostStreamReport =>
  ({ direction: 'out', depth: 1, maxPacketSize: 512, plannedTransfers: 4, tally: t, elapsedMs: 1, bytesPerSecond: 1, cpuUserMs: 0, cpuSystemMs: 0, rssStartBytes: 0, rssPeakBytes: 0, ...(error ? { error } : {}) }) as HostStreamReport;

test('streamProblems: a perfect stream has none', () => {
  assert.deepEqual(streamProblems(opts, agent(tally(65536, 4, 'aa')), host(tally(65536, 4, 'aa'))), []);
});

test('streamProblems: lost data is named with its offset, counts and checksum', () => {
  const p = streamProblems(opts, agent({ ...tally(49152, 3, 'bb', 16384), fault: 'transfer 1: wrong bytes' }), host(tally(65536, 4, 'aa')));
  assert.ok(p.some((x) => /first bad offset 16384/.test(x)), p.join('; '));
  assert.ok(p.some((x) => /gadget received 49152 bytes, host sent 65536/.test(x)), p.join('; '));
  assert.ok(p.some((x) => /checksums differ/.test(x)), p.join('; '));
});

test('streamProblems: a failed end is named with its code', () => {
  const p = streamProblems(opts, { ...agent(tally(0, 0, '00'), 'failed'), error: { code: 'ESHUTDOWN', message: 'gone' } }, host(tally(0, 0, '00'), { code: 'LIBUSB_TRANSFER_NO_DEVICE', message: 'x' }));
  assert.match(p[0]!, /agent stream failed: ESHUTDOWN/);
  assert.match(p[1]!, /host OUT end: LIBUSB_TRANSFER_NO_DEVICE/);
});
