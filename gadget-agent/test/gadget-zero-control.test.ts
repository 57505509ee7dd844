import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Ep0, Ep0Event, SetupRequest } from '@ffs-lab/native/ep0';
import { gadgetZeroControl } from '../src/gadget/gadget-zero-control';
import { problemsOf } from '@ffs-lab/contract/schema';
import { REQUEST_SCHEMAS } from '@ffs-lab/contract/request-schemas';

/** An ep0 that records how each SETUP was answered; OUT data stages deliver `hostData`. */
function fakeEp0(hostData = Buffer.alloc(0)) {
  const answers: Array<{ sent?: Buffer; stalled?: boolean; read?: boolean }> = [];
  const ep0 = {
    answerSetup: (data?: Buffer) => {
      if (data) answers.push({ sent: Buffer.from(data) });
      else answers.push({ read: true });
      return Promise.resolve(data ? undefined : hostData);
    },
    stallSetup: () => {
      answers.push({ stalled: true });
      return Promise.resolve();
    },
  } as unknown as Ep0;
  return { ep0, answers };
}

const setup = (s: Partial<SetupRequest>): Ep0Event => ({ type: 'SETUP', setup: { bRequestType: 0, bRequest: 0, wValue: 0, wIndex: 0, wLength: 0, ...s } });

test("gadget-zero control: 0x5b keeps the host's bytes and 0x5c returns them, as f_sourcesink does", async () => {
  const handle = gadgetZeroControl();
  const written = Buffer.from('usbtest ctrl_out pattern');
  const out = fakeEp0(written);
  await handle(out.ep0, setup({ bRequestType: 0x40, bRequest: 0x5b, wLength: written.length }));
  assert.deepEqual(out.answers, [{ read: true }]);
  const back = fakeEp0();
  await handle(back.ep0, setup({ bRequestType: 0xc0, bRequest: 0x5c, wLength: written.length }));
  assert.deepEqual(back.answers[0]?.sent, written);
  // A second function keeps a buffer of its own.
  const other = fakeEp0();
  await gadgetZeroControl()(other.ep0, setup({ bRequestType: 0xc0, bRequest: 0x5c, wLength: 4 }));
  assert.deepEqual(other.answers[0]?.sent, Buffer.alloc(4));
});

test('gadget-zero control: what f_sourcesink refuses is stalled; GET_STATUS of the interface is two zero bytes', async () => {
  const handle = gadgetZeroControl();
  const refused: Array<Partial<SetupRequest>> = [
    { bRequestType: 0xc0, bRequest: 0x5b, wLength: 8 }, // 0x5b in the IN direction
    { bRequestType: 0x40, bRequest: 0x5c, wLength: 8 }, // 0x5c in the OUT direction
    { bRequestType: 0x40, bRequest: 0x5b, wValue: 1, wLength: 8 },
    { bRequestType: 0x40, bRequest: 0x5b, wIndex: 1, wLength: 8 },
    { bRequestType: 0x40, bRequest: 0x5b, wLength: 4097 }, // past its 4096-byte buffer
    { bRequestType: 0x41, bRequest: 0x5b, wLength: 8 }, // interface recipient
    { bRequestType: 0xc0, bRequest: 0x01, wLength: 8 },
  ];
  for (const r of refused) {
    const e = fakeEp0();
    await handle(e.ep0, setup(r));
    assert.deepEqual(e.answers, [{ stalled: true }], JSON.stringify(r));
  }
  const status = fakeEp0();
  await handle(status.ep0, setup({ bRequestType: 0x81, bRequest: 0x00, wLength: 2 }));
  assert.deepEqual(status.answers, [{ sent: Buffer.alloc(2) }]);
});

test("Gadget Zero's params are checked by the contract: patterns only on source and sink, kernel functions only in gadget.create", () => {
  const gadget = { name: 'g', vendorId: 0x0525, productId: 0xa4a0, manufacturer: 'm', product: 'p', serial: 's', function: 'f' };
  const stream = { kind: 'sink', mode: 'aio', transferSize: 4096, totalBytes: 1 << 20, depth: 4, seed: 0 };
  assert.equal(problemsOf(REQUEST_SCHEMAS['stream.start'], { ...stream, pattern: 'mod63' }), undefined);
  assert.match(problemsOf(REQUEST_SCHEMAS['stream.start'], { ...stream, pattern: 'mod64' }) ?? '', /pattern/);
  assert.match(problemsOf(REQUEST_SCHEMAS['stream.start'], { ...stream, kind: 'echo', pattern: 'zeros' }) ?? '', /source and sink/);
  assert.equal(problemsOf(REQUEST_SCHEMAS['gadget.create'], { ...gadget, kernelFunction: { type: 'SourceSink', attributes: { pattern: 1 } } }), undefined);
  assert.match(problemsOf(REQUEST_SCHEMAS['gadget.create'], { ...gadget, kernelFunction: { type: 'Mass', attributes: {} } }) ?? '', /kernelFunction\.type/);
  assert.match(problemsOf(REQUEST_SCHEMAS['gadget.create'], { ...gadget, kernelFunction: { type: 'SourceSink', attributes: { '../UDC': 1 } } }) ?? '', /attribute name/);
  assert.match(problemsOf(REQUEST_SCHEMAS['function.create'], { gadget: { ...gadget, kernelFunction: { type: 'SourceSink' } } }) ?? '', /for gadget\.create/);
  assert.equal(problemsOf(REQUEST_SCHEMAS['function.create'], { gadget, control: 'gadget-zero' }), undefined);
  assert.match(problemsOf(REQUEST_SCHEMAS['function.create'], { gadget, control: 'echo' }) ?? '', /control/);
});
