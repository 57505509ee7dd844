import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { installChromiumPolicy, ourMountAt, ourMountsOnPath, policyGrants, POLICY_FILE_NAME, webUsbPolicy } from '../src/webusb/chromium-policy';

const ORIGIN = 'https://ffs-lab.test';
const DEV = { vendorId: 0x1d6b, productId: 0x0140 };
let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-webusb-policy-'));
  // The install record goes to the cache's state/; keep it inside this test's directory.
  process.env.FFS_LAB_CACHE = path.join(dir, 'cache');
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the policy document: decimal IDs, the origin as the one URL', () => {
  assert.deepEqual(webUsbPolicy(ORIGIN, [DEV]), { WebUsbAllowDevicesForUrls: [{ devices: [{ vendor_id: 7531, product_id: 320 }], urls: [ORIGIN] }] });
});

test('policyGrants matches as Chromium does: exact origin (scheme, host, port), vendor and product wildcards', () => {
  const doc = webUsbPolicy(ORIGIN, [DEV]);
  assert.ok(policyGrants(doc, ORIGIN, DEV));
  assert.ok(policyGrants(doc, `${ORIGIN}/`, DEV), 'a path does not change the origin');
  assert.ok(policyGrants(doc, 'https://ffs-lab.test:443', DEV), 'the default port is the same origin');
  assert.ok(!policyGrants(doc, 'http://ffs-lab.test', DEV));
  assert.ok(!policyGrants(doc, 'https://ffs-lab.test:8443', DEV));
  assert.ok(!policyGrants(doc, 'https://other.test', DEV));
  assert.ok(!policyGrants(doc, ORIGIN, { ...DEV, productId: 0x0141 }));
  assert.ok(policyGrants({ WebUsbAllowDevicesForUrls: [{ devices: [{ vendor_id: 7531 }], urls: [ORIGIN] }] }, ORIGIN, { ...DEV, productId: 9 }));
  assert.ok(policyGrants({ WebUsbAllowDevicesForUrls: [{ devices: [{}], urls: [ORIGIN] }] }, ORIGIN, { vendorId: 1, productId: 2 }));
  assert.ok(!policyGrants({}, ORIGIN, DEV));
  assert.ok(!policyGrants({ WebUsbAllowDevicesForUrls: [{ devices: [{ vendor_id: 7531 }], urls: ['not a url'] }] }, ORIGIN, DEV));
});

test('a writable directory gets our file, and remove() takes it and the directories made for it away', async () => {
  const target = path.join(dir, 'a', 'policies', 'managed');
  fs.mkdirSync(path.join(dir, 'a'));
  const p = await installChromiumPolicy(ORIGIN, [DEV], { dir: target });
  assert.equal(p.how, 'file');
  assert.equal(p.file, path.join(target, POLICY_FILE_NAME));
  assert.ok(policyGrants(JSON.parse(fs.readFileSync(p.file, 'utf8')), ORIGIN, DEV));
  await p.remove();
  await p.remove();
  assert.ok(!fs.existsSync(path.join(dir, 'a', 'policies')));
  assert.ok(fs.existsSync(path.join(dir, 'a')), 'a directory that was there stays');
});

test('a policy an admin installed that grants the device is used as is and left alone', async () => {
  const target = path.join(dir, 'b');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'broken.json'), '{not json');
  fs.writeFileSync(path.join(target, 'site.json'), JSON.stringify({ WebUsbAllowDevicesForUrls: [{ devices: [{ vendor_id: 0x1d6b }], urls: [ORIGIN] }] }));
  const p = await installChromiumPolicy(ORIGIN, [DEV], { dir: target });
  assert.equal(p.how, 'preinstalled');
  assert.equal(p.file, path.join(target, 'site.json'));
  await p.remove();
  assert.ok(fs.existsSync(path.join(target, 'site.json')));
  assert.ok(!fs.existsSync(path.join(target, POLICY_FILE_NAME)));
});

test('a directory that cannot be written (and no mount allowed) gives the file and content to install', async () => {
  const blocker = path.join(dir, 'c');
  fs.writeFileSync(blocker, 'a file, not a directory');
  await assert.rejects(installChromiumPolicy(ORIGIN, [DEV], { dir: path.join(blocker, 'managed'), allowMount: false }), (e: Error) => {
    assert.match(e.message, /cannot install the Chromium WebUSB policy \(ENOTDIR/);
    assert.match(e.message, /install .*c\/managed\/ffs-lab-webusb\.json containing \{"WebUsbAllowDevicesForUrls":\[\{"devices":\[\{"vendor_id":7531,"product_id":320\}\],"urls":\["https:\/\/ffs-lab\.test"\]\}\]\}/);
    return true;
  });
});

test('ourMountAt finds our tmpfs by mount point and source in mountinfo', () => {
  const info = [
    '22 1 0:21 / / ro,relatime shared:1 - 9p /dev/root ro,access=client,trans=virtio',
    '40 22 0:35 / /etc/chromium rw,relatime shared:20 - tmpfs ffs-lab-policy rw,size=1024k,mode=755',
    '41 22 0:36 / /tmp rw,relatime shared:21 - tmpfs tmpfs rw,mode=1777',
  ].join('\n');
  assert.ok(ourMountAt(info, '/etc/chromium'));
  assert.ok(!ourMountAt(info, '/tmp'));
  assert.ok(!ourMountAt(info, '/etc/chromium/policies'));
  assert.ok(!ourMountAt('', '/etc/chromium'));
});

test('a run killed (SIGKILL) after installing leaves nothing the next install does not take back, and says so', async () => {
  const target = path.join(dir, 'k', 'policies', 'managed');
  fs.mkdirSync(path.join(dir, 'k'));
  // A real process installs the policy and is killed before it can remove it.
  const child = spawn(process.execPath, ['-e', `
    const { installChromiumPolicy } = require(${JSON.stringify(require.resolve('../src/webusb/chromium-policy'))});
    installChromiumPolicy(${JSON.stringify(ORIGIN)}, [${JSON.stringify(DEV)}], { dir: ${JSON.stringify(target)} })
      .then(() => { process.stdout.write('installed\\n'); setInterval(() => undefined, 1000); });
  `], { env: { ...process.env }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('installed') && resolve());
    child.on('exit', (code) => reject(new Error(`child exited ${code} before installing`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(fs.existsSync(path.join(target, POLICY_FILE_NAME)), 'the killed run left its policy file');

  const p = await installChromiumPolicy(ORIGIN, [DEV], { dir: target });
  assert.deepEqual(p.leftovers, [
    `removed ${path.join(target, POLICY_FILE_NAME)}, left by an earlier run`,
    `removed the directory ${target}, made by an earlier run`,
    `removed the directory ${path.dirname(target)}, made by an earlier run`,
  ]);
  assert.equal(p.how, 'file');
  await p.remove();
  assert.ok(!fs.existsSync(path.join(dir, 'k', 'policies')), 'the directories the killed run made are gone too');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'cache', 'state')), [], 'no install record is left');
  const again = await installChromiumPolicy(ORIGIN, [DEV], { dir: target });
  assert.deepEqual(again.leftovers, [], 'a clean state reports nothing');
  await again.remove();
});

test("a leftover directory that holds someone else's file now is left alone", async () => {
  const target = path.join(dir, 'm', 'managed');
  fs.mkdirSync(path.join(dir, 'm'));
  const first = await installChromiumPolicy(ORIGIN, [DEV], { dir: target });
  void first; // never removed: as if killed
  fs.writeFileSync(path.join(target, 'admin.json'), '{}');
  const p = await installChromiumPolicy(ORIGIN, [DEV], { dir: target });
  assert.deepEqual(p.leftovers, [`removed ${path.join(target, POLICY_FILE_NAME)}, left by an earlier run`]);
  await p.remove();
  assert.ok(fs.existsSync(path.join(target, 'admin.json')));
});

test('ourMountsOnPath finds our tmpfs on the directory or a parent', () => {
  const info = '40 22 0:35 / /etc/chromium rw,relatime shared:20 - tmpfs ffs-lab-policy rw,size=1024k,mode=755';
  assert.deepEqual(ourMountsOnPath(info, '/etc/chromium/policies/managed'), ['/etc/chromium']);
  assert.deepEqual(ourMountsOnPath(info, '/etc/other'), []);
});
