import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { native } from '../lib/bindings';

/*
 * Mapping protection as the probes use it: a file mapped with each protection, anonymous memory
 * made by the addon, mprotect on both, and what the kernel then does with a read(2) into or a
 * write(2) from them (EFAULT where the protection forbids it; JS never touches such memory).
 */
describe('mapping protection', () => {
  let dir: string;
  let file: number;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-prot-'));
    file = fs.openSync(path.join(dir, 'data'), 'w+');
    fs.ftruncateSync(file, 1 << 16);
  });
  after(() => {
    fs.closeSync(file);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('mmapFile maps with the protection asked for; a bad protection is a TypeError naming it', () => {
    const ro = native().mmapFile(file, 4096, { prot: 'r' });
    const src = fs.openSync('/dev/zero', 'r');
    try {
      // The kernel writes into the mapping for read(2): refused on a read-only one.
      assert.throws(() => fs.readSync(src, new Uint8Array(ro), 0, 4096, null), (e: NodeJS.ErrnoException) => e.code === 'EFAULT');
    } finally {
      fs.closeSync(src);
      native().munmapBuffer(ro);
    }
    assert.throws(() => native().mmapFile(file, 4096, { prot: 'x' as never }), /prot must be 'rw', 'r', 'w' or 'none'/);
  });

  it('mprotectBuffer with a page-aligned range protects only that part (a read(2) into it is refused, into the rest it works), and refuses an unaligned or overlong range', () => {
    const page = 4096;
    const ab = native().mmapFile(file, 3 * page);
    const src = fs.openSync('/dev/zero', 'r');
    try {
      native().mprotectBuffer(ab, 'r', 0, page);
      // read(2) into the first page (now read-only) is refused; the rest still takes it.
      assert.throws(() => fs.readSync(src, new Uint8Array(ab, 0, page), 0, page, null), (e: NodeJS.ErrnoException) => e.code === 'EFAULT');
      assert.equal(fs.readSync(src, new Uint8Array(ab, page, 2 * page), 0, 2 * page, null), 2 * page);
      assert.throws(() => native().mprotectBuffer(ab, 'r', 100, page), RangeError);
      assert.throws(() => native().mprotectBuffer(ab, 'r', page, 3 * page), RangeError);
    } finally {
      fs.closeSync(src);
      native().munmapBuffer(ab);
    }
  });

  it('processVmRead reads a mapping through process_vm_readv (get_user_pages), and refuses ranges outside the buffer', () => {
    const ab = native().mmapAnonymous(8192);
    try {
      new Uint8Array(ab).forEach((_, i, a) => (a[i] = i & 0xff));
      const got = native().processVmRead(ab, 100, 5000);
      assert.equal(got.length, 5000);
      assert.equal(got[0], 100);
      assert.equal(got[4999], (100 + 4999) & 0xff);
      assert.throws(() => native().processVmRead(ab, 8000, 500), RangeError);
      native().mprotectBuffer(ab, 'none');
      assert.throws(() => native().processVmRead(ab, 0, 16), (e: NodeJS.ErrnoException) => e.code === 'EFAULT');
    } finally {
      native().munmapBuffer(ab);
    }
  });

  it('vmspliceRead reads a mapping through vmsplice(2) (get_user_pages), past one pipe\'s capacity, and refuses ranges outside the buffer', () => {
    const ab = native().mmapAnonymous(256 * 1024);
    try {
      new Uint8Array(ab).forEach((_, i, a) => (a[i] = (i * 7) & 0xff));
      const got = native().vmspliceRead(ab, 3, 200_000);
      assert.equal(got.length, 200_000);
      assert.ok(got.every((b, i) => b === ((i + 3) * 7 & 0xff)), 'vmspliceRead returned other bytes than the buffer holds');
      assert.equal(native().vmspliceRead(ab, 0, 0).length, 0);
      assert.throws(() => native().vmspliceRead(ab, 256 * 1024 - 10, 11), RangeError);
      native().mprotectBuffer(ab, 'none');
      assert.throws(() => native().vmspliceRead(ab, 0, 16), (e: NodeJS.ErrnoException) => e.code === 'EFAULT');
    } finally {
      native().munmapBuffer(ab);
    }
  });

  it('directIoRead writes a range with O_DIRECT (get_user_pages on a block file system), reads it back and removes its file; EFAULT from PROT_NONE memory', function (t) {
    const ab = native().mmapAnonymous(64 * 1024);
    try {
      new Uint8Array(ab).forEach((_, i, a) => (a[i] = (i * 13) & 0xff));
      let got: Buffer;
      try {
        got = native().directIoRead(ab, 4096, 32 * 1024, dir);
      } catch (e) {
        // tmpfs before 6.6, overlayfs on some hosts: no O_DIRECT at all, nothing to check here.
        if ((e as NodeJS.ErrnoException).code === 'EINVAL') return t.skip(`${dir} has no O_DIRECT: ${(e as Error).message}`);
        throw e;
      }
      assert.equal(got.length, 32 * 1024);
      assert.ok(got.every((b, i) => b === ((i + 4096) * 13 & 0xff)), 'directIoRead returned other bytes than the buffer holds');
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.ffs-lab-odirect-')), [], 'directIoRead left its file behind');
      assert.throws(() => native().directIoRead(ab, 60 * 1024, 8192, dir), RangeError);
      assert.throws(() => native().directIoRead(ab, 0, 4096, path.join(dir, 'missing')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
      native().mprotectBuffer(ab, 'none');
      assert.throws(() => native().directIoRead(ab, 0, 4096, dir), (e: NodeJS.ErrnoException) => e.code === 'EFAULT');
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.ffs-lab-odirect-')), [], 'a failed directIoRead left its file behind');
    } finally {
      native().munmapBuffer(ab);
    }
  });

  it('mmapAnonymous memory is read-write, mprotect to none makes a write(2) from it fail with EFAULT, and back to rw it works again', () => {
    const base = native().liveMappings();
    const ab = native().mmapAnonymous(8192);
    assert.equal(native().liveMappings(), base + 1);
    new Uint8Array(ab).fill(7);
    const sink = fs.openSync('/dev/null', 'w');
    const out = fs.openSync(path.join(dir, 'out'), 'w');
    try {
      native().mprotectBuffer(ab, 'none');
      assert.throws(() => fs.writeSync(out, new Uint8Array(ab), 0, 8192), (e: NodeJS.ErrnoException) => e.code === 'EFAULT');
      native().mprotectBuffer(ab, 'rw');
      assert.equal(fs.writeSync(out, new Uint8Array(ab), 0, 8192), 8192);
      assert.equal(fs.readFileSync(path.join(dir, 'out'))[8191], 7);
    } finally {
      fs.closeSync(sink);
      fs.closeSync(out);
      native().munmapBuffer(ab);
    }
    assert.equal(native().liveMappings(), base);
    assert.throws(() => native().mprotectBuffer(ab, 'rw'), /not a live buffer mapped by this addon/);
    assert.throws(() => native().mprotectBuffer(new ArrayBuffer(8), 'rw'), /not a live buffer mapped by this addon/);
  });
});
