import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { chromiumSandboxFlags } from '../src/webusb/chromium-host';
import { chromiumExecutable, chromiumMissingReason } from '../src/webusb/chromium-prerequisites';
import { BUNDLE_URL_PATH, PAGE_BUNDLE_FILE, PAGE_ORIGIN, pageResponse } from '../src/webusb/webusb-page';

test('the page origin is https (a secure context) on a reserved name, default port', () => {
  const u = new URL(PAGE_ORIGIN);
  assert.equal(u.protocol, 'https:');
  assert.match(u.hostname, /\.test$/);
  assert.equal(u.port, '');
});

test('pageResponse serves the page and the bundle on the origin, 404 otherwise', () => {
  const page = pageResponse(`${PAGE_ORIGIN}/`, () => 'B');
  assert.equal(page.status, 200);
  assert.match(page.contentType, /text\/html/);
  assert.ok(page.body.includes(`<script src="${BUNDLE_URL_PATH}">`));
  assert.deepEqual(pageResponse(`${PAGE_ORIGIN}${BUNDLE_URL_PATH}`, () => 'B'), { status: 200, contentType: 'text/javascript; charset=utf-8', body: 'B' });
  assert.equal(pageResponse(`${PAGE_ORIGIN}/favicon.ico`, () => 'B').status, 404);
  assert.equal(pageResponse(`https://other.test${BUNDLE_URL_PATH}`, () => 'B').status, 404);
});

test('chromium prerequisites: $FFS_LAB_CHROMIUM, then Debian\'s paths; each missing piece named', () => {
  const none = () => false;
  const all = () => true;
  const resolves = () => '/x';
  const throws = () => {
    throw new Error('nope');
  };
  assert.equal(chromiumExecutable({ FFS_LAB_CHROMIUM: '/opt/c' }, none), '/opt/c');
  assert.equal(chromiumExecutable({}, (p) => p === '/usr/lib/chromium/chromium'), '/usr/lib/chromium/chromium');
  assert.equal(chromiumExecutable({}, none), undefined);
  assert.equal(chromiumMissingReason({}, all, resolves), undefined);
  const why = chromiumMissingReason({}, none, throws) ?? '';
  assert.match(why, /^WebUSB in Chromium: /);
  assert.match(why, /playwright-core is not installed/);
  assert.match(why, /apt-get install -y chromium/);
  assert.ok(why.includes(PAGE_BUNDLE_FILE));
  assert.match(chromiumMissingReason({ FFS_LAB_CHROMIUM: '/nope' }, (p) => p !== '/nope', resolves) ?? '', /FFS_LAB_CHROMIUM=\/nope does not exist/);
});

test('Chromium keeps its sandbox unless it runs as root, where it cannot start with one', () => {
  assert.deepEqual(chromiumSandboxFlags(1000).chromiumSandbox, true);
  assert.ok(!chromiumSandboxFlags(1000).args.includes('--no-sandbox'));
  assert.equal(chromiumSandboxFlags(0).chromiumSandbox, false);
  assert.ok(chromiumSandboxFlags(0).args.includes('--no-sandbox'));
});
