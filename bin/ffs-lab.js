#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled TypeScript (npm install runs `prepare`, which builds it).
const path = require('path');
const entry = path.join(__dirname, '..', 'host-runner', 'dist', 'src', 'cli', 'main.js');
if (!require('fs').existsSync(entry)) {
  process.stderr.write('ffs-lab: not built yet; run `npm install` (or `npm run build`) in ' +
    path.join(__dirname, '..') + '\n');
  process.exit(2);
}
const { main } = require(entry);
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // The verdict is final: a handle something left open (a stuck libusb transfer, a half-closed
  // socket) must not keep the CLI, or the lab guest waiting for it, alive.
  setTimeout(() => process.exit(code), 3000).unref();
});
