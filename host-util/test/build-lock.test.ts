import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

const CONTENDER = path.join(__dirname, 'lock-contender.js');

/** A forked contender and the messages it sent so far. */
interface Contender {
  child: ChildProcess;
  messages: string[];
  exited: Promise<number | null>;
  /** Resolves with the first message matching `re`. */
  next(re: RegExp, timeoutMs?: number): Promise<string>;
}

function contender(args: string[]): Contender {
  const child = fork(CONTENDER, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: string[] = [];
  const waiters: { re: RegExp; resolve: (m: string) => void }[] = [];
  child.on('message', (m) => {
    messages.push(String(m));
    for (const w of waiters.splice(0)) {
      if (w.re.test(String(m))) w.resolve(String(m));
      else waiters.push(w);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    messages,
    exited,
    next: (re, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const seen = messages.find((m) => re.test(m));
        if (seen) return resolve(seen);
        const t = setTimeout(() => reject(new Error(`no message ${re} from ${child.pid} within ${timeoutMs} ms; got ${JSON.stringify(messages)}`)), timeoutMs);
        waiters.push({ re, resolve: (m) => (clearTimeout(t), resolve(m)) });
      }),
  };
}

/**
 * The build lock between separate processes (as two `ffs-lab` runs building the same kernel):
 * real forks, real file system, real SIGKILL. Each holder proves exclusivity with an O_EXCL marker.
 */
describe('build lock across processes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-lock-'));
  const spawned: Contender[] = [];
  after(() => {
    for (const c of spawned) c.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const start = (args: string[]) => {
    const c = contender(args);
    spawned.push(c);
    return c;
  };

  it('three processes started at once, on a slow disk, never hold it together', { timeout: 60_000 }, async () => {
    const lock = path.join(dir, 'a.lock');
    const marker = path.join(dir, 'a.held');
    const cs = [0, 1, 2].map(() => start([lock, marker, '3', '50', '1']));
    await new Promise((r) => setTimeout(r, 500)); // all three loaded and listening
    for (const c of cs) c.child.send('go');
    const codes = await Promise.all(cs.map((c) => c.exited));
    for (const c of cs) assert.ok(!c.messages.some((m) => m.startsWith('double') || m.startsWith('error')), JSON.stringify(c.messages));
    assert.deepEqual(codes, [0, 0, 0]);
    for (const c of cs) assert.equal(c.messages.filter((m) => m === 'acquired').length, 3);
  });

  it('a SIGKILLed holder\'s lock is taken over, by one waiter at a time; waiters are told the holder\'s pid', { timeout: 60_000 }, async () => {
    const lock = path.join(dir, 'b.lock');
    const marker = path.join(dir, 'b.held');
    const holder = start([lock, marker, '1', '0', '0', 'hold']);
    holder.child.send('go');
    await holder.next(/^held$/);
    const waiters = [0, 1, 2].map(() => start([lock, marker, '1', '300', '1']));
    await new Promise((r) => setTimeout(r, 500));
    for (const w of waiters) w.child.send('go');
    for (const w of waiters) assert.equal(await w.next(/^waiting /), `waiting ${holder.child.pid}`);
    await new Promise((r) => setTimeout(r, 1_500)); // long enough for any poller to have looked again
    for (const w of waiters) assert.ok(!w.messages.includes('acquired'), 'nobody takes a live holder\'s lock');
    holder.child.kill('SIGKILL');
    assert.equal(await holder.exited, null);
    const codes = await Promise.all(waiters.map((w) => w.exited));
    for (const w of waiters) assert.ok(!w.messages.some((m) => m.startsWith('double') || m.startsWith('error')), JSON.stringify(w.messages));
    assert.deepEqual(codes, [0, 0, 0], 'each waiter got the lock in turn');
  });
});
