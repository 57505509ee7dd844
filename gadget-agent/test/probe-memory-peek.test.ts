import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { verifyPattern } from '@ffs-lab/contract/pattern';
import { ProbeMemory, TMPFS_MAGIC } from '../src/probes/probe-memory';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

/*
 * mmap.peek through get_user_pages on ordinary anonymous memory (the endpoint mappings are the lab's
 * business): every way returns the bytes poked, and O_DIRECT refuses a directory that proves nothing.
 */
test('peek: load, process_vm_readv, vmsplice and o_direct return the bytes poked; o_direct needs a directory that is not tmpfs', (t) => {
  const memory = new ProbeMemory();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-peek-'));
  try {
    const { buffer } = memory.buffer({ kind: 'anonymous', bytes: 64 * 1024 });
    memory.poke(buffer, 0, 64 * 1024, 1234, 0);
    for (const via of ['load', 'process_vm_readv', 'vmsplice'] as const) {
      assert.equal(verifyPattern(Buffer.from(memory.peek(buffer, 100, 20_000, via), 'base64'), 1234, 100), -1, via);
    }
    if (fs.statfsSync(dir).type === TMPFS_MAGIC) t.diagnostic(`${dir} is tmpfs: o_direct's success case not checked here`);
    else assert.equal(verifyPattern(Buffer.from(memory.peek(buffer, 4096, 32 * 1024, 'o_direct', dir), 'base64'), 1234, 4096), -1, 'o_direct');
    assert.throws(() => memory.peek(buffer, 0, 4096, 'o_direct'), code('BAD_REQUEST'));
    assert.throws(() => memory.peek(buffer, 0, 4096, 'o_direct', path.join(dir, 'missing')), code('ENOENT'));
    if (fs.existsSync('/dev/shm') && fs.statfsSync('/dev/shm').type === TMPFS_MAGIC) {
      assert.throws(() => memory.peek(buffer, 0, 4096, 'o_direct', '/dev/shm'), (e: Error & { code?: string }) => e.code === 'UNSUPPORTED' && /tmpfs/.test(e.message));
    }
    fs.writeFileSync(path.join(dir, 'file'), '');
    assert.throws(() => memory.peek(buffer, 0, 4096, 'o_direct', path.join(dir, 'file')), code('BAD_REQUEST'));
  } finally {
    memory.releaseAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
