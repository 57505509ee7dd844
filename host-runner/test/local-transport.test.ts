import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import { LocalTransport } from '../src/transport/local-transport';
import { HOSTILE_ARGS } from './hostile-args';
import { alive } from './sshd-fixture';

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms))),
  ]);
}

describe('LocalTransport', () => {
  const t = new LocalTransport({ killGraceMs: 300 });
  const dir = mkdtempSync(join(tmpdir(), 'ffs-lab-local-'));
  const leftovers: number[] = [];

  after(async () => {
    await within(t.close(), 10_000, 'close');
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs argv without a shell, byte-exact, with env', async () => {
    await t.connect();
    assert.equal(t.description, 'local');
    const r = await t.exec(['printf', '%s\\0', ...HOSTILE_ARGS]);
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), HOSTILE_ARGS);
    const e = await t.exec(['sh', '-c', 'printf %s "$FFS_X"; echo err >&2; exit 5'], { env: { FFS_X: "$(x) 'y'" } });
    assert.deepEqual(e, { code: 5, signal: null, stdout: "$(x) 'y'", stderr: 'err\n' });
  });

  it('reports signals and pipes stdin', async () => {
    assert.equal((await t.exec(['sh', '-c', 'kill -s USR1 $$'])).signal, 'SIGUSR1');
    assert.equal((await t.exec(['cat'], { input: 'abc\n' })).stdout, 'abc\n');
  });

  it('rejects programs that cannot start, and bad input', async () => {
    await assert.rejects(t.exec(['/nonexistent/program']), (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Infrastructure && /ENOENT/.test(e.message));
    await assert.rejects(t.exec(['echo', 'a\0b']), (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Usage);
    await assert.rejects(t.exec(['echo'], { env: { '1X': 'y' } }), (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Usage);
  });

  it('kill() stops the process group, escalating past an ignored TERM', async () => {
    const p = await t.spawn(['sh', '-c', `trap "" TERM; sleep 300 & echo $$ $! > ${dir}/pids; wait; while :; do sleep 1; done`]);
    let pids: number[] = [];
    for (let i = 0; i < 100 && pids.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        pids = readFileSync(`${dir}/pids`, 'utf8').trim().split(' ').map(Number);
      } catch {
        // not written yet
      }
    }
    leftovers.push(...pids);
    assert.equal(pids.length, 2);
    p.kill();
    p.kill();
    assert.equal((await within(p.exited, 5_000, 'exit')).signal, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} survived`);
  });

  it('exec timeout kills and rejects', async () => {
    const started = Date.now();
    await assert.rejects(
      t.exec(['sh', '-c', `echo $$ > ${dir}/t.pid; exec sleep 300`], { timeoutMs: 400 }),
      (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Infrastructure && e.message.includes('did not finish within 0.4 s'),
    );
    assert.ok(Date.now() - started < 3_000);
    const pid = Number(readFileSync(`${dir}/t.pid`, 'utf8'));
    leftovers.push(pid);
    assert.ok(!alive(pid));
  });

  it('close() kills what still runs', async () => {
    const local = new LocalTransport({ killGraceMs: 300 });
    const p = await local.spawn(['sleep', '300']);
    await within(local.close(), 5_000, 'close');
    assert.equal((await within(p.exited, 2_000, 'exit')).signal, 'SIGTERM');
  });
});
