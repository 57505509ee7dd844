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
const prefix = path.resolve(path.dirname(process.execPath), '..');
const args = ['rebuild', '--directory', __dirname];
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
