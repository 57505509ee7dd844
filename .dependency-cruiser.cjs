/**
 * The package boundaries, checked by `npm run lint` (docs/architecture.md, "Packages").
 * Dependencies only point down:
 *
 *   suites, bench
 *     -> host-runner          (the CLI, transports, the USB host side, suite runs, reports)
 *       -> fixtures           (the lab: kernel builds, the QEMU VM, guest init)
 *         -> host-util        (running programs, Debian packages, the cache, locks, progress)
 *     -> gadget-agent         (the board side)
 *       -> native             (the addon)
 *         -> contract         (what both ends agree on; no dependencies at all)
 *
 * host-runner and gadget-agent never import each other: what they share is in contract/.
 */
const fs = require('node:fs');
const path = require('node:path');

const pkg = (names) => `^(${names.join('|')})/`;
const ALL = ['contract', 'native', 'gadget-agent', 'host-util', 'fixtures', 'host-runner', 'suites', 'bench'];
/** The drawing above: what each package may depend on. */
const below = {
  contract: [],
  native: ['contract'],
  'gadget-agent': ['contract', 'native'],
  'host-util': ['contract'],
  fixtures: ['contract', 'host-util'],
  'host-runner': ['contract', 'native', 'host-util', 'fixtures'],
  suites: ['contract', 'native', 'gadget-agent', 'host-util', 'host-runner'],
  bench: ['contract', 'native', 'host-util', 'host-runner'],
};

/**
 * What each package declares in its package.json (`@ffs-lab/<name>` dependencies). A declaration
 * the drawing does not allow stops the check here, before any import is looked at, so a package
 * cannot climb by declaring the climb.
 */
const declared = Object.fromEntries(
  ALL.map((name) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, name, 'package.json'), 'utf8'));
    if (manifest.name !== `@ffs-lab/${name}`) throw new Error(`${name}/package.json: name is ${manifest.name}, not @ffs-lab/${name}`);
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.devDependencies })
      .filter((d) => d.startsWith('@ffs-lab/'))
      .map((d) => d.slice('@ffs-lab/'.length));
    const climbing = deps.filter((d) => !below[name].includes(d));
    if (climbing.length > 0) throw new Error(`${name}/package.json depends on ${climbing.join(', ')}, which is not below it (docs/architecture.md, "Packages")`);
    return [name, deps];
  }),
);

module.exports = {
  forbidden: [
    ...ALL.map((from) => ({
      name: `${from}-imports-only-what-it-declares`,
      comment: `${from} may import only ${declared[from].length ? declared[from].join(', ') : 'itself'}: the @ffs-lab packages in ${from}/package.json, all below it (docs/architecture.md, "Packages")`,
      severity: 'error',
      from: { path: `^${from}/` },
      to: { path: pkg(ALL.filter((p) => p !== from && !declared[from].includes(p))) },
    })),
    ...ALL.map((from) => ({
      name: `${from}-imports-packages-by-name`,
      comment: `another package is imported as @ffs-lab/<name>/..., never by a relative path into its folder`,
      severity: 'error',
      from: { path: `^${from}/` },
      to: { path: pkg(ALL.filter((p) => p !== from)), dependencyTypesNot: ['aliased-workspace'] },
    })),
    {
      name: 'contract-has-no-dependencies',
      comment: 'contract/ imports nothing but Node built-ins, so both ends and any third party can take it as it is',
      severity: 'error',
      from: { path: '^contract/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'agent-needs-only-its-addon',
      comment: 'the board receives the agent alone: no npm package in its source (docs/architecture.md, "Packages")',
      severity: 'error',
      from: { path: '^(gadget-agent|native)/(src|lib)/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], pathNot: '^node_modules/node-addon-api/' },
    },
    {
      name: 'no-unresolvable',
      comment: 'every import names a file or a declared package (`/// <reference types="w3c-web-usb" />` names @types/w3c-web-usb, which the cruiser does not map)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: ['^w3c-web-usb$'] },
    },
    {
      name: 'no-undeclared-package',
      comment: 'an npm package imported must be in package.json, not there by chance as another one\'s dependency',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-circular',
      comment: 'a cycle makes two modules one; break it by moving what both need below them',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/|^(native/build|test-results|results)/' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['source', 'import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.cjs', '.mjs', '.json', '.node'] },
  },
};
