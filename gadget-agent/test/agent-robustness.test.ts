import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { PROTOCOL_VERSION } from '@ffs-lab/contract/protocol';

type Reply = { v: number; id: number | null; ok: boolean; result?: unknown; error?: { code: string; message: string } };

/** The real agent process, with its replies as an iterator. */
function startAgent() {
  const agent = spawn(process.execPath, [path.resolve(__dirname, '..', '..', '..', 'bin', 'ffs-lab-agent.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  agent.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((r) => agent.on('exit', (c) => r(c)));
  const replies = readline.createInterface({ input: agent.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Reply> => {
    const n = await replies.next();
    assert.ok(!n.done, `the agent stopped answering; stderr:\n${stderr}`);
    return JSON.parse(n.value as string) as Reply;
  };
  const call = async (line: string) => {
    agent.stdin!.write(`${line}\n`);
    return next();
  };
  const hello = (id: number) => call(JSON.stringify({ v: PROTOCOL_VERSION, id, method: 'hello', params: {} }));
  return { agent, exited, next, call, hello, stderr: () => stderr };
}

async function stop(agent: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  agent.stdin!.end();
  return exited;
}

function vmRssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

const nested = (depth: number, open: string, close: string, inner = '1') => open.repeat(depth) + inner + close.repeat(depth);

test('requests nested 10,000+ levels deep, in every field, get error replies and the agent goes on', async () => {
  const a = startAgent();
  try {
    const deepArr = nested(12_000, '[', ']');
    const deepObj = nested(12_000, '{"a":', '}');
    const lines = [
      `{"v":1,"id":1,"method":"hello","params":{"a":${deepArr}}}`,
      `{"v":1,"id":2,"method":${deepArr}}`,
      `{"v":${deepArr},"id":3,"method":"hello"}`,
      `{"v":1,"id":4,"method":"stream.status","params":{"id":${deepArr}}}`,
      `{"v":1,"id":5,"method":"dmabuf.close","params":{"handle":${deepObj}}}`,
      `{"v":1,"id":6,"method":"gadget.create","params":{"name":${deepArr},"mountOptions":${deepObj}}}`,
      `{"v":1,"id":7,"method":"mmap.mount","params":{"mountOptions":{"a":${deepArr}}}}`,
      `{"v":1,"id":8,"method":"function.create","params":{"gadget":${deepObj},"function":{"endpoints":${deepArr}}}}`,
      `{"v":1,"id":9,"method":"program.run","params":{"argv":${deepArr},"env":${deepObj}}}`,
      `{"v":1,"id":10,"method":"fault.signal","params":{"pid":${deepArr},"signal":${deepArr}}}`,
      `{"v":1,"id":11,"method":"stream.start","params":${deepObj}}`,
      `{"v":1,"id":${deepArr},"method":"hello"}`,
    ];
    for (const [i, line] of lines.entries()) {
      const r = await a.call(line);
      assert.equal(r.v, PROTOCOL_VERSION, `line ${i + 1}`);
      // A deep params object may be fine for hello (it takes none); every other line is an error.
      if (i > 0) assert.equal(r.ok, false, `line ${i + 1}: ${JSON.stringify(r).slice(0, 200)}`);
      assert.equal(r.id, i < lines.length - 1 ? i + 1 : null, `line ${i + 1}`);
      const h = await a.hello(1000 + i);
      assert.equal(h.ok, true, `hello after line ${i + 1}; stderr:\n${a.stderr()}`);
    }
  } finally {
    assert.equal(await stop(a.agent, a.exited), 0, a.stderr());
  }
});

test('a 200 MiB line is refused while it streams in, without being held, and the next request is answered', { timeout: 120_000 }, async () => {
  const a = startAgent();
  try {
    assert.equal((await a.hello(1)).ok, true);
    const base = vmRssKiB(a.agent.pid!);
    const chunk = Buffer.alloc(1 << 20, 'x');
    let peak = base;
    // 200 MiB without a newline, a MiB at a time, sampling the agent's RSS as it goes. Holding
    // the line would grow the agent by at least that; the chunks it has read and dropped are
    // garbage the next GC frees, so the growth stays bounded however long the line is.
    for (let i = 0; i < 200; i++) {
      if (!a.agent.stdin!.write(chunk)) await new Promise((r) => a.agent.stdin!.once('drain', r));
      if (i % 5 === 4) {
        await new Promise((r) => setTimeout(r, 20));
        peak = Math.max(peak, vmRssKiB(a.agent.pid!));
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    peak = Math.max(peak, vmRssKiB(a.agent.pid!));
    a.agent.stdin!.write('\n');
    const refused = await a.next();
    assert.equal(refused.ok, false);
    assert.equal(refused.error?.code, 'BAD_REQUEST');
    assert.match(refused.error!.message, /longer than 1048576 bytes/);
    assert.equal(refused.id, null);
    const after = await a.hello(2);
    assert.equal(after.ok, true);
    assert.equal(after.id, 2);
    const grownMiB = (peak - base) / 1024;
    assert.ok(grownMiB < 64, `agent RSS grew by ${grownMiB.toFixed(1)} MiB while a 200 MiB line streamed in`);
  } finally {
    await stop(a.agent, a.exited);
  }
});

test('a CRLF line and a line right at the 1 MiB limit are taken; one byte more is refused once', async () => {
  const a = startAgent();
  try {
    const r = await a.call(`{"v":1,"id":1,"method":"hello","params":{}}\r`);
    assert.equal(r.ok, true);
    const head = '{"v":1,"id":2,"method":"hello","params":{"pad":"';
    const tail = '"}}';
    const exact = head + 'p'.repeat((1 << 20) - head.length - tail.length) + tail;
    assert.equal(Buffer.byteLength(exact), 1 << 20);
    assert.equal((await a.call(exact)).id, 2);
    const over = head + 'p'.repeat((1 << 20) - head.length - tail.length + 1) + tail;
    const refused = await a.call(over);
    assert.equal(refused.error?.code, 'BAD_REQUEST');
    assert.equal((await a.hello(3)).id, 3, 'one reply for the long line, then the next');
  } finally {
    await stop(a.agent, a.exited);
  }
});

test('stdin EOF while a handler runs tears the agent down at once, killing what the handler started', { timeout: 30_000 }, async () => {
  const a = startAgent();
  try {
    assert.equal((await a.hello(1)).ok, true);
    a.agent.stdin!.write(`${JSON.stringify({ v: PROTOCOL_VERSION, id: 2, method: 'program.run', params: { argv: ['/bin/sleep', '30'], timeoutMs: 60_000 } })}\n`);
    let child: number | undefined;
    for (let i = 0; i < 100 && child === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const kids = fs.readFileSync(`/proc/${a.agent.pid}/task/${a.agent.pid}/children`, 'utf8').trim();
      if (kids) child = Number(kids.split(' ')[0]);
    }
    assert.ok(child, 'program.run started its program');
    const t0 = Date.now();
    a.agent.stdin!.end();
    const code = await a.exited;
    const tookMs = Date.now() - t0;
    assert.equal(code, 0, a.stderr());
    assert.ok(tookMs < 3_000, `the agent took ${tookMs} ms to notice EOF`);
    assert.match(a.stderr(), /stdin closed while program\.run ran/);
    await new Promise((r) => setTimeout(r, 100));
    const state = fs.existsSync(`/proc/${child}/stat`) ? fs.readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    assert.ok(state === 'gone' || state === 'Z', `the program of program.run outlived the agent (state ${state})`);
  } finally {
    a.agent.kill('SIGKILL');
  }
});

test('SIGTERM while stdin is still open: the agent exits at once (no read of stdin holds the exit up)', { timeout: 30_000 }, async () => {
  const a = startAgent();
  assert.equal((await a.hello(1)).ok, true);
  const t0 = Date.now();
  a.agent.kill('SIGTERM');
  const timer = setTimeout(() => a.agent.kill('SIGKILL'), 5000);
  await a.exited;
  clearTimeout(timer);
  assert.ok(Date.now() - t0 < 5000, `the agent took ${Date.now() - t0} ms to exit after SIGTERM`);
  assert.equal(a.agent.exitCode, 0);
});
