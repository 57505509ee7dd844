import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { native, type NativeStreamPumpResult } from '../lib/bindings';
import { patternTable } from '@ffs-lab/contract/pattern';

/*
 * munmapBuffer on a mapping whose memory a running pump's thread still fills: the buffer is
 * detached at once (JS sees zero bytes), the munmap waits until the pump lets go, and mremap is
 * refused with EBUSY meanwhile. The pumps write to /dev/null as fast as they can, so their thread
 * touches the slot all the time: an unmap under it would be a SIGSEGV.
 */
describe('mappings in use by a pump', () => {
  let dir: string;
  let file: number;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-pins-'));
    file = fs.openSync(path.join(dir, 'data'), 'w+');
    fs.ftruncateSync(file, 1 << 16);
  });
  after(() => {
    fs.closeSync(file);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const engine of ['StreamPump', 'CopyPump'] as const) {
    it(`${engine}: munmap while the thread uses the slot is deferred until the pump ends; mremap meanwhile is EBUSY`, async () => {
      const sink = fs.openSync('/dev/null', 'w');
      const base = native().liveMappings();
      const ab = native().mmapFile(file, 8192);
      let done: (r: NativeStreamPumpResult) => void = () => undefined;
      const ended = new Promise<NativeStreamPumpResult>((r) => (done = r));
      const transfers = 1 << 22;
      const pump = new (native()[engine])({
        fd: sink,
        write: true,
        slots: engine === 'CopyPump' ? [new Uint8Array(ab, 4096, 4096)] : [new Uint8Array(ab, 0, 4096), new Uint8Array(ab, 4096, 4096)],
        transferSize: 4096,
        totalBytes: transfers * 4096,
        transfers,
        maxPacketSize: 512,
        pattern: patternTable(3),
        onDone: (r) => done(r),
      });
      try {
        pump.start();
        await new Promise((r) => setTimeout(r, 30));
        assert.ok(pump.tally().transfers > 0, 'the pump is moving');
        assert.throws(() => native().tryMremap(ab, 8192), (e: NodeJS.ErrnoException) => e.code === 'EBUSY');
        native().munmapBuffer(ab);
        assert.equal(ab.byteLength, 0, 'detached at once');
        assert.equal(native().liveMappings(), base + 1, 'still mapped while the pump runs');
        const moved = pump.tally().transfers;
        await new Promise((r) => setTimeout(r, 30));
        assert.ok(pump.tally().transfers > moved, 'the pump went on with its slots after the munmap');
        pump.stop();
        const r = await ended;
        assert.ok(r.finished > moved);
      } finally {
        pump.close();
        fs.closeSync(sink);
      }
      assert.equal(native().liveMappings(), base, 'unmapped once the pump let go');
    });
  }
});
