#!/usr/bin/env node
'use strict';
// Builds the addon with node-gyp against the headers of the node running this script, so no
// header download is needed (Debian's nodejs ships them under /usr/include/node). Linux only.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

if (process.platform !== 'linux') {
  process.stderr.write(`ffs-lab native: FunctionFS exists only on Linux; skipping the addon build on ${process.platform}\n`);
  process.exit(0);
}
// FFS_LAB_NATIVE_SANITIZE=1: an AddressSanitizer + UBSan build in native/build-sanitize/ (its
// own binding.gyp over the same sources), leaving the normal build alone. Load it with
// FFS_LAB_NATIVE_ADDON=native/build-sanitize/build/Release/ffs_native.node and libasan preloaded
// (scripts/test-native-sanitize.js does both).
const sanitize = process.env.FFS_LAB_NATIVE_SANITIZE === '1';
let directory = __dirname;
if (sanitize) {
  directory = path.join(__dirname, 'build-sanitize');
  fs.mkdirSync(directory, { recursive: true });
  const gyp = JSON.parse(fs.readFileSync(path.join(__dirname, 'binding.gyp'), 'utf8'));
  const flags = ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined', '-fno-omit-frame-pointer', '-g'];
  for (const t of gyp.targets) {
    t.sources = t.sources.map((s) => path.join('..', s));
    // -O1 after the normal -O3: sanitizer reports keep their frames.
    t.cflags_cc = [...t.cflags_cc, ...flags, '-O1'];
    t.cflags = [...(t.cflags || []), ...flags];
    t.ldflags = [...(t.ldflags || []), '-fsanitize=address,undefined'];
  }
  fs.writeFileSync(path.join(directory, 'binding.gyp'), JSON.stringify(gyp, null, 2));
}
const prefix = path.resolve(path.dirname(process.execPath), '..');
const args = ['rebuild', '--directory', directory];
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const candidates = [
  process.env.npm_config_node_gyp,
  path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter(Boolean);
const gyp = candidates.find((c) => fs.existsSync(c));
const r = gyp
  ? spawnSync(process.execPath, [gyp, ...args], { stdio: 'inherit' })
  : spawnSync('node-gyp', args, { stdio: 'inherit' });
if (r.status !== 0) {
  process.stderr.write('ffs-lab native: addon build failed (needs g++, make, python3 and the node headers)\n');
  process.exit(r.status || 1);
}
