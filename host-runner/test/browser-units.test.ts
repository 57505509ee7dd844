/**
 * The page tests (page/*.test.ts: the pattern oracle, the stream tally, the WebUSB stream module
 * and the page's Buffer and zlib stand-ins) in Debian's Chromium through playwright-test, mocha
 * in the page, with no browser download (page/browser/playwright-test.config.mjs). The same files
 * run in node as ordinary unit tests; here they must all pass in Chromium too, and fail when a
 * stand-in is deliberately broken. A machine without Chromium skips with the reason.
 */
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumExecutable, CHROMIUM_CANDIDATES } from '../src/webusb/chromium-prerequisites';

const REPO = path.resolve(__dirname, '..', '..', '..');
const PAGE_TESTS = path.join(REPO, 'host-runner', 'test', 'page');
const CONFIG = path.join(PAGE_TESTS, 'browser', 'playwright-test.config.mjs');
const MARKER = path.join(PAGE_TESTS, 'browser', 'headless-shell-marker.mjs');

/** The playwright-test this was tested with; package.json pins it exactly (see the pin test). */
const PLAYWRIGHT_TEST_VERSION = '15.0.1';

interface PageRun {
  status: number | null;
  /** The output without colours. */
  out: string;
  passing: number;
  failing: number;
}

/** playwright-test's command line script (its package exports do not include it: found by its package.json). */
function playwrightTestCli(): string | undefined {
  try {
    const pkg = require.resolve('playwright-test/package.json');
    const { bin } = JSON.parse(fs.readFileSync(pkg, 'utf8')) as { bin: Record<string, string> };
    return path.join(path.dirname(pkg), bin['playwright-test']!);
  } catch {
    return undefined;
  }
}

/** Why the page tests cannot run in Chromium here, or undefined. */
function missingReason(): string | undefined {
  if (!chromiumExecutable()) return `Chromium is not installed (none of ${CHROMIUM_CANDIDATES.join(', ')}; Debian: apt-get install -y chromium, or set FFS_LAB_CHROMIUM)`;
  if (!playwrightTestCli()) return 'the dev dependency playwright-test is not installed (npm ci)';
  return undefined;
}

function runInChromium(browsersPath: string, env: NodeJS.ProcessEnv = {}): PageRun {
  const r = spawnSync(process.execPath, [playwrightTestCli()!, 'host-runner/test/page/*.test.ts', '--runner', 'mocha', '--no-bail', '--config', CONFIG], {
    cwd: REPO,
    env: { ...process.env, PLAYWRIGHT_BROWSERS_PATH: browsersPath, FFS_LAB_BROKEN_STAND_IN: '', ...env },
    encoding: 'utf8',
    // playwright-test waits forever when a test module throws at import: bound it.
    timeout: 300_000,
    killSignal: 'SIGKILL',
  });
  const out = `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  const count = (what: string) => Number(new RegExp(`(\\d+) ${what}`).exec(out)?.[1] ?? 0);
  return { status: r.status, out, passing: count('passing'), failing: count('failing') };
}

/** How many tests the same files hold when node runs them (compiled, beside this file). */
function nodeCount(): number {
  const files = fs.readdirSync(path.join(__dirname, 'page')).filter((f) => f.endsWith('.test.js')).map((f) => path.join(__dirname, 'page', f));
  // Without NODE_TEST_CONTEXT, which node sets for the files it runs: a child runner would
  // report to this one in its binary protocol instead of printing TAP.
  const { NODE_TEST_CONTEXT: _ctx, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...files], { encoding: 'utf8', env, timeout: 120_000 });
  assert.equal(r.status, 0, `the page tests fail in node:\n${r.stdout.slice(-3000)}`);
  return Number(/^# tests (\d+)/m.exec(r.stdout)?.[1] ?? -1);
}

describe('page tests in Chromium through playwright-test', () => {
  const skip = missingReason();
  let browsers = '';
  before(() => {
    browsers = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-lab-pw-browsers-'));
  });
  after(() => fs.rmSync(browsers, { recursive: true, force: true }));

  it('every page test passes in Chromium, as many as in node, and no browser was downloaded', { skip }, (t) => {
    const run = runInChromium(browsers);
    const inNode = nodeCount();
    assert.equal(run.status, 0, `playwright-test failed:\n${run.out.slice(-4000)}`);
    assert.equal(run.failing, 0);
    assert.ok(inNode > 20, `node counted ${inNode} page tests`);
    assert.equal(run.passing, inNode, `${run.passing} passed in Chromium, ${inNode} tests in node:\n${run.out.slice(-3000)}`);
    t.diagnostic(`page tests: ${run.passing} passed in Chromium (${chromiumExecutable()}), ${inNode} in node`);
    // What the registry holds afterwards: our marker only (and its bookkeeping), no browser build.
    const entries = fs.readdirSync(browsers).filter((e) => !e.startsWith('.'));
    assert.equal(entries.length, 1, `browsers directory: ${entries.join(', ')}`);
    assert.deepEqual(fs.readdirSync(path.join(browsers, entries[0]!)), ['INSTALLATION_COMPLETE'], 'a browser was downloaded into the marker directory');
  });

  for (const [standIn, expected] of [
    ['crc32', /node:zlib's crc32 as this realm resolves it: zlib\.crc32's value/],
    ['buffer', /the Buffer global as this realm has it: compare gives node's result/],
  ] as const) {
    it(`a deliberately broken ${standIn} stand-in fails them (FFS_LAB_BROKEN_STAND_IN=${standIn})`, { skip }, () => {
      const run = runInChromium(browsers, { FFS_LAB_BROKEN_STAND_IN: standIn });
      assert.notEqual(run.status, 0, `the page tests passed with a broken ${standIn}:\n${run.out.slice(-3000)}`);
      assert.ok(run.failing > 0, `no failing test reported:\n${run.out.slice(-3000)}`);
      assert.match(run.out, expected);
    });
  }

  it(`playwright-test is pinned at ${PLAYWRIGHT_TEST_VERSION}, and its playwright-core still names the headless shell the config marks as installed`, { skip: playwrightTestCli() ? undefined : 'playwright-test is not installed (npm ci)' }, async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    assert.equal(pkg.devDependencies['playwright-test'], PLAYWRIGHT_TEST_VERSION, 'package.json must pin playwright-test exactly: the no-download setup depends on its internals');
    const installed = JSON.parse(fs.readFileSync(require.resolve('playwright-test/package.json'), 'utf8')) as { version: string };
    assert.equal(installed.version, PLAYWRIGHT_TEST_VERSION);
    // The config's marker directory must be the one playwright-core's registry looks for.
    const { headlessShellMarkerDir } = (await import(pathToFileURL(MARKER).href)) as { headlessShellMarkerDir(p: string): string };
    const pwtDir = path.dirname(require.resolve('playwright-test/package.json'));
    const corePkg = require.resolve('playwright-core/package.json', { paths: [pwtDir] });
    const { browsers: list } = JSON.parse(fs.readFileSync(path.join(path.dirname(corePkg), 'browsers.json'), 'utf8')) as { browsers: Array<{ name: string; revision: string }> };
    const shell = list.find((b) => b.name === 'chromium-headless-shell');
    assert.ok(shell, 'playwright-core lists chromium-headless-shell');
    assert.equal(headlessShellMarkerDir('/x'), `/x/chromium_headless_shell-${shell.revision}`);
  });
});
