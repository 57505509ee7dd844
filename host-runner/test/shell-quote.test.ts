import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import { commandLine, shellQuote } from '../src/transport/shell-quote';
import { HOSTILE_ARGS } from './hostile-args';


describe('shellQuote', () => {
  it('wraps in single quotes and escapes embedded single quotes', () => {
    assert.equal(shellQuote('abc'), "'abc'");
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });

  it('rejects NUL bytes and unpaired surrogates with a usage error', () => {
    for (const bad of ['a\0b', 'x\uD800y']) {
      assert.throws(() => shellQuote(bad), (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Usage);
    }
  });
});

describe('commandLine', () => {
  it('builds exec env -- with quoted assignments and arguments', () => {
    assert.equal(commandLine(['prog', 'a b'], { K: "v'1" }), `exec env -- 'K=v'\\''1' 'prog' 'a b'`);
    assert.equal(commandLine(['prog']), `exec env -- 'prog'`);
  });

  it('rejects bad input with usage errors', () => {
    const usage = (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Usage;
    assert.throws(() => commandLine([]), usage);
    assert.throws(() => commandLine(['a\0']), usage);
    assert.throws(() => commandLine(['prog', 'x\0y']), usage);
    assert.throws(() => commandLine(['prog'], { '1BAD': 'x' }), usage);
    assert.throws(() => commandLine(['prog'], { 'A-B': 'x' }), usage);
    assert.throws(() => commandLine(['prog'], { '': 'x' }), usage);
    assert.throws(() => commandLine(['prog'], { OK: 'x\0' }), usage);
    assert.throws(() => commandLine(['A=B']), usage);
  });

  // What the remote side does with the string: its login shell runs it with -c.
  for (const shell of ['/bin/sh', '/bin/bash', '/bin/dash']) {
    it(`delivers every hostile argument and env value byte-exact through ${shell}`, (t) => {
      if (!existsSync(shell)) return t.skip(`${shell} not installed`);
      const cmd = commandLine(['printf', '%s\\0', ...HOSTILE_ARGS]);
      const out = spawnSync(shell, ['-c', cmd], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(out.status, 0, out.stderr);
      assert.deepEqual(out.stdout.split('\0').slice(0, -1), HOSTILE_ARGS);

      const env = Object.fromEntries(HOSTILE_ARGS.map((v, i) => [`FFS_V${i}`, v]));
      const envCmd = commandLine([process.execPath, '-e', 'process.stdout.write(JSON.stringify(Object.entries(process.env).filter(([k]) => k.startsWith("FFS_V"))))'], env);
      const envOut = spawnSync(shell, ['-c', envCmd], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(envOut.status, 0, envOut.stderr);
      assert.deepEqual(Object.fromEntries(JSON.parse(envOut.stdout) as [string, string][]), env);
    });
  }
});
