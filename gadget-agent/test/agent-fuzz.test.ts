import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { METHOD_NAMES, PROTOCOL_VERSION } from '@ffs-lab/contract/protocol';
import { REQUEST_SCHEMAS } from '@ffs-lab/contract/request-schemas';
import type { Schema } from '@ffs-lab/contract/schema';
import { seededRandom } from '@ffs-lab/contract/seeded-random';

/** Cases per run; the nightly profile (FFS_LAB_PROFILE=nightly) runs ten times as many. */
const CASES = process.env.FFS_LAB_PROFILE === 'nightly' ? 30_000 : 3_000;
const SEED = Number(process.env.FFS_LAB_FUZZ_SEED ?? 0x5eed);


/**
 * Methods the fuzzer must not call with valid shapes: shutdown ends the agent by design, and
 * the gadget/program/stream ones would touch this machine's configfs if it had one, and
 * mmap.contiguous would compact this machine's memory and drop its caches.
 */
const NEVER = new Set(['shutdown', 'program.run', 'program.start', 'kernel.log', 'mmap.contiguous']);

function value(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * 12);
  switch (pick) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return Math.floor(r() * 2 ** 32) - 2 ** 31;
    case 3: return [1e308, -0, 0.5, Number.MAX_SAFE_INTEGER + 2, -1][Math.floor(r() * 5)];
    case 4: return 'x'.repeat(Math.floor(r() * 300));
    case 5: return ['../../etc', '\u0000', 'ep0', '/dev/kmsg', 'dummy_udc.0', '{mount}', ''][Math.floor(r() * 7)];
    case 6: return depth < 6 ? Array.from({ length: Math.floor(r() * 8) }, () => value(r, depth + 1)) : [];
    case 7:
    case 8: return depth < 6 ? Object.fromEntries(Array.from({ length: Math.floor(r() * 8) }, () => [key(r), value(r, depth + 1)])) : {};
    default: return Math.floor(r() * 70_000);
  }
}

function key(r: () => number): string {
  const known = ['name', 'vendorId', 'productId', 'serial', 'function', 'udc', 'id', 'mode', 'kind', 'depth', 'seed', 'transferSize', 'totalBytes', 'argv', 'timeoutMs', 'probe', 'afterSeq', 'gadget', 'mountOptions', '__proto__', 'constructor', 'prototype', 'waitFor', 'env', 'fd', 'buffer', 'handle', 'pid', 'signal'];
  return known[Math.floor(r() * known.length)]!;
}

/** One request line: garbage, a malformed envelope, or a known method with wild params. */
function requestLine(r: () => number, id: number): string {
  const kind = Math.floor(r() * 10);
  const methods = METHOD_NAMES.filter((m) => !NEVER.has(m));
  const method = methods[Math.floor(r() * methods.length)]!;
  switch (kind) {
    case 0: return Buffer.from(Array.from({ length: 1 + Math.floor(r() * 200) }, () => 32 + Math.floor(r() * 95))).toString('latin1');
    case 1: return JSON.stringify(value(r));
    case 2: return JSON.stringify({ v: PROTOCOL_VERSION, method, params: {} });
    case 3: return JSON.stringify({ v: PROTOCOL_VERSION + 1 + Math.floor(r() * 5), id, method });
    case 4: return JSON.stringify({ v: PROTOCOL_VERSION, id, method: `${method}.x` });
    case 5: return JSON.stringify({ v: PROTOCOL_VERSION, id, method, params: value(r) });
    // Spellings JSON.stringify never writes: 1e999 (Infinity), -0, and the like, as a field's raw text.
    case 6: return `{"v":${PROTOCOL_VERSION},"id":${id},"method":${JSON.stringify(method)},"params":{${JSON.stringify(key(r))}:${CONFUSIONS[Math.floor(r() * CONFUSIONS.length)]}}}`;
    default: return JSON.stringify({ v: PROTOCOL_VERSION, id, method, params: value(r) && typeof value(r) === 'object' ? value(r) : Object.fromEntries([[key(r), value(r)], [key(r), value(r)]]) });
  }
}

/** The id a reply must carry: the request's integer id when it has one (even in garbage), else null. */
function expectedId(line: string): number | null {
  try {
    const o = JSON.parse(line) as unknown;
    if (o && typeof o === 'object' && !Array.isArray(o)) {
      const id = (o as Record<string, unknown>).id;
      return typeof id === 'number' && Number.isSafeInteger(id) && line.length <= 1 << 20 ? id : null;
    }
  } catch {
    /* not JSON */
  }
  return null;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** The real agent process: `send` writes one line and returns the one reply it gets. */
function spawnAgent() {
  const agent = spawn(process.execPath, [path.resolve(__dirname, '..', '..', '..', 'bin', 'ffs-lab-agent.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
  let tail = '';
  agent.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-4000)));
  const replies = readline.createInterface({ input: agent.stdout! })[Symbol.asyncIterator]();
  const send = async (line: string) => {
    agent.stdin!.write(`${line}\n`);
    const next = await replies.next();
    assert.ok(!next.done, `agent stopped answering; stderr:\n${tail}`);
    return JSON.parse(next.value as string) as { v: number; id: number | null; ok: boolean; error?: { code: string; message: string } };
  };
  return { agent, send, stderr: () => tail };
}

test(`the agent answers ${CASES} seeded malformed, oversized and out-of-order requests with one reply each, answers hello after every 1,000, and leaks nothing`, { timeout: 600_000 }, async (t) => {
  const { agent, send, stderr } = spawnAgent();
  try {
    const r = seededRandom(SEED);
    let errors = 0;
    let rssStart = 0;
    for (let i = 0; i < CASES; i++) {
      if (i === Math.floor(CASES / 10)) rssStart = rssKiB(agent.pid!);
      const id = 1_000_000 + i;
      // Every 500th case: a line past the 1 MiB limit.
      const line = i % 500 === 499 ? JSON.stringify({ v: PROTOCOL_VERSION, id, method: 'hello', params: { pad: 'y'.repeat((1 << 20) + 1) } }) : requestLine(r, id);
      if (!line.trim()) continue;
      const reply = await send(line);
      assert.equal(reply.v, PROTOCOL_VERSION, `case ${i} (seed ${SEED})`);
      if (!reply.ok) {
        errors++;
        assert.equal(typeof reply.error?.code, 'string', `case ${i} (seed ${SEED}): error reply without a code: ${line.slice(0, 200)}`);
        assert.ok(reply.error!.message.length > 0);
      }
      assert.equal(reply.id, expectedId(line), `case ${i} (seed ${SEED}): reply to another request: ${line.slice(0, 300)} -> ${JSON.stringify(reply).slice(0, 300)}`);
      if (i % 1000 === 999) {
        const h = await send(JSON.stringify({ v: PROTOCOL_VERSION, id: 2, method: 'hello', params: {} }));
        assert.equal(h.ok, true, `hello after the batch ending at case ${i} (seed ${SEED}); stderr:\n${stderr()}`);
      }
    }
    const hello = await send(JSON.stringify({ v: PROTOCOL_VERSION, id: 1, method: 'hello', params: {} }));
    assert.equal(hello.ok, true, 'the agent still works after the fuzz');
    const grownMiB = (rssKiB(agent.pid!) - rssStart) / 1024;
    t.diagnostic(`seed ${SEED}: ${CASES} cases, ${errors} error replies, agent RSS growth ${grownMiB.toFixed(1)} MiB`);
    assert.ok(grownMiB < 24, `agent RSS grew by ${grownMiB.toFixed(1)} MiB over the fuzz`);
  } finally {
    agent.stdin!.end();
    await new Promise((r) => agent.on('exit', r));
  }
});

/**
 * Values no field takes as they are, as JSON text: so that the spellings JSON.stringify would
 * never write (1e999 parses as Infinity) reach the agent too.
 */
const CONFUSIONS = [
  '"5"', '"NaN"', '"Infinity"', '"-0"', '1e999', '-1e999', '-0', '0.5', '-1', '9007199254740993', '2147483648', '4294967296', '1e300',
  'null', 'true', 'false', '[]', '[1,"a",null]', '{}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":1}}', '{"prototype":1}',
  '"../.."', '"/etc/passwd"', '"ep0/../../x"', '"\\u0000"', '""', '"1,uid=0"', `"${'x'.repeat(5000)}"`, nestedText(200),
];

function nestedText(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** Every field path of a schema (nested objects included) with its schema. */
function fieldPaths(s: Schema<unknown>, prefix: string[] = []): Array<{ path: string[]; schema: Schema<unknown> }> {
  const out: Array<{ path: string[]; schema: Schema<unknown> }> = [];
  for (const [k, f] of Object.entries(s.fields ?? {})) {
    out.push({ path: [...prefix, k], schema: f });
    out.push(...fieldPaths(f, [...prefix, k]));
  }
  return out;
}

/** `{"a":{"b":VALUE}}` for path [a, b], VALUE as raw JSON text. */
function paramsText(path: readonly string[], valueText: string): string {
  return path.reduceRight((inner, k) => `{${JSON.stringify(k)}:${inner}}`, valueText);
}

test('type confusion in every field of every method (nested ones too), hostile keys and NaN spellings: BAD_REQUEST naming the field, and hello answers after each method', { timeout: 600_000 }, async (t) => {
  const { agent, send, stderr } = spawnAgent();
  let id = 1;
  let requests = 0;
  try {
    for (const method of METHOD_NAMES) {
      const schema = REQUEST_SCHEMAS[method];
      const cases: Array<{ params: string; names: string }> = [];
      for (const { path: p, schema: field } of fieldPaths(schema)) {
        for (const text of CONFUSIONS) {
          // Only values the field itself refuses: the request must then be refused whatever the rest holds.
          const scratch: string[] = [];
          field.check(JSON.parse(text) as unknown, 'x', scratch);
          if (scratch.length) cases.push({ params: paramsText(p, text), names: p.join('.') });
        }
      }
      for (const k of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']) cases.push({ params: `{${JSON.stringify(k)}:1}`, names: k });
      for (const text of ['[]', '"x"', '5', 'null', nestedText(500)]) cases.push({ params: text, names: '' });
      for (const c of cases) {
        const r = await send(`{"v":${PROTOCOL_VERSION},"id":${id},"method":${JSON.stringify(method)},"params":${c.params}}`);
        requests++;
        assert.equal(r.id, id, `${method} ${c.params.slice(0, 80)}`);
        assert.equal(r.ok, false, `${method} accepted ${c.params.slice(0, 120)}`);
        assert.equal(r.error?.code, 'BAD_REQUEST', `${method} ${c.params.slice(0, 120)}: ${r.error?.code} ${r.error?.message}`);
        assert.ok(r.error!.message.startsWith(`${method}: `), `${method}: the message names the method: ${r.error!.message.slice(0, 200)}`);
        if (c.names) assert.ok(r.error!.message.includes(c.names), `${method} ${c.params.slice(0, 120)}: the message names ${c.names}: ${r.error!.message.slice(0, 300)}`);
        id++;
      }
      const hello = await send(JSON.stringify({ v: PROTOCOL_VERSION, id: id++, method: 'hello', params: {} }));
      assert.equal(hello.ok, true, `hello after the ${method} cases; stderr:\n${stderr()}`);
    }
    t.diagnostic(`${requests} requests over ${METHOD_NAMES.length} methods, all refused by name, hello answered after each method`);
    assert.ok(requests >= 2000, `only ${requests} requests: the schemas lost their fields?`);
  } finally {
    agent.stdin!.end();
    await new Promise((r) => agent.on('exit', r));
  }
});
