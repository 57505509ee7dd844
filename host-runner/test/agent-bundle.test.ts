import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUNDLE_FILES, buildAddon, packAgent, type BundleManifest } from '../src/deploy/agent-bundle';
import { fillPattern } from '@ffs-lab/contract/pattern';
import { PROTOCOL_VERSION } from '@ffs-lab/contract/protocol';
import { cacheRoot } from '@ffs-lab/host-util/cache-dir';

let dir: string;
let bundle: string;
let manifest: BundleManifest;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-bundle-'));
  manifest = await packAgent('x86_64', path.join(dir, 'packed'));
  // Far from the checkout and any node_modules: the bundle must stand alone.
  bundle = path.join(dir, 'board', 'opt', 'ffs-lab-agent');
  fs.mkdirSync(bundle, { recursive: true });
  for (const f of BUNDLE_FILES) fs.copyFileSync(path.join(dir, 'packed', f), path.join(bundle, f));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Replies of the bundled agent to hello, an anonymous buffer filled with the pattern, a peek through get_user_pages, shutdown. */
function talk(node: string, env: NodeJS.ProcessEnv = process.env): Array<{ id: number; ok: boolean; result?: Record<string, unknown>; error?: unknown }> {
  const req = (id: number, method: string, params: object) => JSON.stringify({ v: PROTOCOL_VERSION, id, method, params });
  const input = [
    req(1, 'hello', {}),
    req(2, 'mmap.buffer', { kind: 'anonymous', bytes: 65536 }),
    req(3, 'mmap.poke', { buffer: 1, offset: 0, length: 65536, seed: 77 }),
    req(4, 'mmap.peek', { buffer: 1, offset: 4000, length: 20000, via: 'vmsplice' }),
    req(5, 'shutdown', {}),
  ].join('\n');
  const r = spawnSync(node, [path.join(bundle, 'ffs-lab-agent.js')], { input: input + '\n', cwd: path.dirname(bundle), env, timeout: 30_000 });
  assert.equal(r.status, 0, `the bundled agent exited ${r.status}: ${r.stderr}`);
  return r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { id: number; ok: boolean; result?: Record<string, unknown> });
}

function checkReplies(replies: ReturnType<typeof talk>): void {
  assert.deepEqual(replies.map((r) => [r.id, r.ok]), [[1, true], [2, true], [3, true], [4, true], [5, true]], JSON.stringify(replies));
  assert.equal(replies[0]!.result!.agentVersion, manifest.version);
  const want = Buffer.alloc(20000);
  fillPattern(want, 77, 4000);
  assert.ok(Buffer.from(replies[3]!.result!.base64 as string, 'base64').equals(want), 'the addon in the bundle moved the pattern');
}

test('pack-agent x86_64: exactly the bundle\'s files, each as the manifest says', () => {
  assert.deepEqual(fs.readdirSync(path.join(dir, 'packed')).sort(), [...BUNDLE_FILES].sort());
  assert.equal(manifest.arch, 'x86_64');
  assert.equal(manifest.node, '>=18.15');
  for (const [f, m] of Object.entries(manifest.files)) {
    const data = fs.readFileSync(path.join(dir, 'packed', f));
    assert.equal(data.length, m.bytes, f);
    assert.equal(crypto.createHash('sha256').update(data).digest('hex'), m.sha256, f);
  }
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'packed', 'manifest.json'), 'utf8')), manifest);
});

test('the bundle runs on its own under this node: hello, and the addon moves the pattern', () => {
  checkReplies(talk(process.execPath));
});

test('the bundle runs under Debian 12\'s Node 18 (what boards have)', (t) => {
  const node18 = path.join(cacheRoot(), 'node18', 'usr', 'bin', 'node');
  if (!fs.existsSync(node18)) return t.skip(`no Node 18 at ${node18} (npm run test:agent-node18 unpacks it)`);
  const lib = path.join(cacheRoot(), 'node18', 'usr', 'lib', 'x86_64-linux-gnu');
  checkReplies(talk(node18, { ...process.env, LD_LIBRARY_PATH: lib }));
});

test('pack-agent refuses a directory that is not empty, and an unknown architecture (exit 2)', async () => {
  await assert.rejects(packAgent('x86_64', path.join(dir, 'packed')), (e: { exitCode?: number; message?: string }) => e.exitCode === 2 && /not empty/.test(e.message ?? ''));
  await assert.rejects(packAgent('sparc' as never, path.join(dir, 'sparc')), (e: { exitCode?: number; message?: string }) => e.exitCode === 2 && /unknown architecture 'sparc'/.test(e.message ?? ''));
});

for (const [arch, nm, machine] of [['arm64', 'aarch64-linux-gnu-nm', 'AArch64'], ['armhf', 'arm-linux-gnueabihf-nm', 'ARM']] as const) {
  test(`the ${arch} addon: a shared object for ${machine} that needs nothing but N-API, libuv, zlib's crc32 and the C and C++ runtimes`, async () => {
    const out = path.join(dir, `ffs_native-${arch}.node`);
    await buildAddon(arch, out);
    const header = execFileSync('readelf', ['-h', out]).toString();
    assert.match(header, new RegExp(`Machine:\\s+${machine}`));
    assert.match(header, /Type:\s+DYN/);
    const undefinedSymbols = execFileSync(nm, ['-D', '--undefined-only', out]).toString().trim().split('\n').map((l) => l.trim().split(/\s+/).pop()!.replace(/@.*/, ''));
    const foreign = undefinedSymbols.filter((s) => !/^(napi_|uv_|crc32$|_Z|__|_ITM_|_Unwind_)/.test(s) && !/^[a-z_0-9]+$/.test(s));
    assert.deepEqual(foreign, [], 'symbols the board\'s node process would not provide');
    assert.ok(undefinedSymbols.some((s) => s.startsWith('napi_')) && undefinedSymbols.includes('crc32'));
    const needed = [...execFileSync('readelf', ['-d', out]).toString().matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
    assert.deepEqual(needed.filter((l) => !/^(libstdc\+\+\.so\.6|libm\.so\.6|libgcc_s\.so\.1|libc\.so\.6)$/.test(l)), [], `libraries beyond the C and C++ runtimes: ${needed.join(', ')}`);
  });
}

test('the addon is compiled once per set of inputs: a second build with the same compiler, flags and sources comes from the cache', async () => {
  const lines: string[] = [];
  const first = path.join(dir, 'addon-first.node');
  const second = path.join(dir, 'addon-second.node');
  await buildAddon('x86_64', first, (l) => lines.push(l));
  await buildAddon('x86_64', second, (l) => lines.push(l));
  assert.match(lines.at(-1) ?? '', /^pack-agent: the addon for x86_64 reused from the cache \(.*\/addons\/x86_64-[0-9a-f]{16}\.node\)$/);
  assert.ok(fs.readFileSync(first).equals(fs.readFileSync(second)));
});
