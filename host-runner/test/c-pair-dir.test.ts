import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cPairDir, cPairKey, ensureCPair, findCPair } from '../src/bench/c-pair';

/** Another user than this one (nobody), for files an attacker would own. */
const OTHER_UID = 65534;

/** Plant a pair another user could have written: a manifest and a "program" that leaves a trace when run. */
function plant(dir: string, trace: string, opts: { mode: number; uid?: number }): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'manifest.json'), '{}\n');
  for (const p of ['ffs-bench-gadget', 'ffs-bench-host', 'pattern-dump']) fs.writeFileSync(path.join(dir, p), `#!/bin/sh\ntouch ${trace}\n`, { mode: 0o755 });
  fs.chmodSync(dir, opts.mode);
  if (opts.uid !== undefined) fs.chownSync(dir, opts.uid, opts.uid);
}

/**
 * Where the C reference pair (run as root in the lab) is built and found: never a directory
 * another user owns or may write, such as a fixed path under /tmp. Real gcc builds.
 */
describe('the C pair\'s build directory', () => {
  let tmp: string;
  let key: string;
  const savedTmpdir = process.env.TMPDIR;
  const log: string[] = [];
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-cpair-'));
    fs.chmodSync(tmp, 0o1777); // a shared temp dir, as /tmp is
    process.env.TMPDIR = tmp;
    key = await cPairKey();
  });
  after(() => {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a cache that cannot be written falls back to a fresh private dir, not a planted one under the temp dir', { timeout: 120_000 }, async () => {
    const trace = path.join(tmp, 'planted-program-ran');
    const planted = cPairDir(path.join(tmp, 'ffs-lab'), key);
    plant(planted, trace, { mode: 0o777, uid: OTHER_UID });
    const notADir = path.join(tmp, 'file');
    fs.writeFileSync(notADir, '');
    const pair = await ensureCPair((l) => log.push(l), path.join(notADir, 'cache')); // mkdir fails: ENOTDIR
    assert.notEqual(pair.dir, planted);
    assert.ok(!pair.dir.startsWith(path.dirname(planted) + path.sep), pair.dir);
    assert.equal(pair.reused, false, 'built, not found');
    const st = fs.lstatSync(pair.dir);
    assert.ok(st.isDirectory() && !st.isSymbolicLink());
    assert.equal(st.uid, process.getuid!());
    assert.equal(st.mode & 0o777, 0o700, 'private');
    execFileSync(pair.patternDump, ['fill', '1', '0', '16']);
    assert.ok(!fs.existsSync(trace), 'the planted program never ran');
  });

  for (const [what, opts] of [
    ['writable by others', { mode: 0o777 }],
    ['writable by its group', { mode: 0o775 }],
    ['owned by another user', { mode: 0o755, uid: OTHER_UID }],
  ] as const) {
    it(`a pair in the cache ${what} is neither found nor reused`, { timeout: 120_000 }, async () => {
      const root = fs.mkdtempSync(path.join(tmp, 'cache-'));
      const dir = cPairDir(root, key);
      const trace = path.join(root, 'planted-program-ran');
      plant(dir, trace, opts);
      assert.equal(await findCPair([root]), undefined);
      await assert.rejects(ensureCPair((l) => log.push(l), root), (err: Error & { exitCode?: number }) => {
        assert.equal(err.exitCode, 3);
        assert.match(err.message, new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*(owned by uid ${OTHER_UID}|writable by)`));
        return true;
      });
      assert.ok(!fs.existsSync(trace));
    });
  }

  it('a symlink in place of the pair\'s directory is not followed', { timeout: 120_000 }, async () => {
    const root = fs.mkdtempSync(path.join(tmp, 'cache-'));
    const elsewhere = path.join(tmp, 'elsewhere');
    plant(elsewhere, path.join(tmp, 'symlinked-program-ran'), { mode: 0o755 });
    fs.mkdirSync(path.join(root, 'bench'), { recursive: true });
    fs.symlinkSync(elsewhere, cPairDir(root, key));
    assert.equal(await findCPair([root]), undefined);
    await assert.rejects(ensureCPair((l) => log.push(l), root), /symbolic link/);
  });

  it('a pair built in the cache is found and reused', { timeout: 120_000 }, async () => {
    const root = fs.mkdtempSync(path.join(tmp, 'cache-'));
    const built = await ensureCPair((l) => log.push(l), root);
    assert.equal(built.reused, false);
    assert.equal(built.dir, cPairDir(root, key));
    assert.equal((await findCPair([root]))?.dir, built.dir);
    assert.equal((await ensureCPair((l) => log.push(l), root)).reused, true);
  });

  it('a cross build has a key of its own, and refuses a root without the target\'s libusb headers (exit 3)', { timeout: 60_000 }, async (t) => {
    if (!hasCommand('aarch64-linux-gnu-gcc')) return t.skip('aarch64-linux-gnu-gcc is not installed (scripts/install-deps.sh installs it)');
    const root = fs.mkdtempSync(path.join(tmp, 'cache-'));
    const sysroot = fs.mkdtempSync(path.join(tmp, 'sysroot-'));
    const target = { arch: 'arm64' as const, sysroot, sysrootKey: 'k1' };
    const crossKey = await cPairKey(target);
    assert.match(crossKey, /^arm64-[0-9a-f]{16}$/);
    assert.notEqual(crossKey.slice('arm64-'.length), key, 'not the native pair\'s key');
    assert.notEqual(await cPairKey({ ...target, sysrootKey: 'k2' }), crossKey, 'another root, another key');
    await assert.rejects(ensureCPair((l) => log.push(l), root, target), (err: Error & { exitCode?: number }) => {
      assert.match(err.message, /no libusb-1\.0 headers/);
      assert.equal(err.exitCode, 3);
      return true;
    });
    assert.ok(!fs.existsSync(path.join(cPairDir(root, crossKey), 'manifest.json')), 'nothing half-built is left to be found');
  });
});

/** Is `cmd` on PATH? */
function hasCommand(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && fs.existsSync(path.join(d, cmd)));
}
