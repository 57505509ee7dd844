import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { forgetOwner, liveOwner, processStartTime, recordedGadgets, recordOwner } from '../src/gadget/gadget-owner';

describe('gadget owner records', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-owner-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a record of this process names it while it runs; forgetting removes it', () => {
    recordOwner('ffslab-a', dir);
    assert.deepEqual(recordedGadgets(dir), ['ffslab-a']);
    assert.equal(liveOwner('ffslab-a', dir)?.pid, process.pid);
    forgetOwner('ffslab-a', dir);
    assert.equal(liveOwner('ffslab-a', dir), undefined);
    assert.deepEqual(recordedGadgets(dir), []);
  });

  it('a record of an exited process, or of a reused pid, is not a live owner', () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    fs.writeFileSync(path.join(dir, 'ffslab-gone'), `${child.stdout} 12345\n`);
    assert.equal(liveOwner('ffslab-gone', dir), undefined);
    // Our own pid with another start time: a pid reused by a new process.
    fs.writeFileSync(path.join(dir, 'ffslab-reused'), `${process.pid} 1\n`);
    assert.equal(liveOwner('ffslab-reused', dir), undefined);
    fs.writeFileSync(path.join(dir, 'ffslab-junk'), 'not a record');
    assert.equal(liveOwner('ffslab-junk', dir), undefined);
    assert.equal(liveOwner('ffslab-none', dir), undefined);
  });

  it('reads the start time of a running process from /proc, and none for a pid that is not running', () => {
    const own = processStartTime('self');
    assert.match(own ?? '', /^\d+$/);
    assert.equal(processStartTime(process.pid), own);
    assert.equal(processStartTime(2 ** 22 + 1), undefined);
  });
});
