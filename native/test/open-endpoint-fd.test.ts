import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { openEndpointFd } from '../lib/open-endpoint-fd';

describe('openEndpointFd', () => {
  it('opens read-write, with O_NONBLOCK when asked', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-open-'));
    try {
      const file = path.join(dir, 'ep1');
      fs.writeFileSync(file, 'x');
      for (const nonBlocking of [false, true]) {
        const fd = openEndpointFd(file, nonBlocking);
        try {
          assert.equal(fs.writeSync(fd, 'y'), 1);
          const flags = parseInt(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/flags:\s+([0-7]+)/)![1]!, 8);
          assert.equal((flags & fs.constants.O_NONBLOCK) !== 0, nonBlocking);
        } finally {
          fs.closeSync(fd);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('throws errors other than EAGAIN at once', () => {
    const t0 = Date.now();
    assert.throws(() => openEndpointFd('/nonexistent/ffs-lab/ep1', true), { code: 'ENOENT' });
    assert.ok(Date.now() - t0 < 500);
  });
});
