import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunMetadata } from './results';

/** The repository root (this file is host-runner/dist/src/results/run-metadata.js). */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/**
 * ffs-lab's version (the root package.json) and, when this is a git checkout and git is here,
 * its commit and whether it has uncommitted changes. Never throws.
 */
export function toolIdentity(root: string = REPO_ROOT): RunMetadata['tool'] {
  let version = 'unknown';
  try {
    version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? version;
  } catch {
    // A bundle on a board has no package.json: the version stays unknown.
  }
  const git = (args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  try {
    const commit = git(['rev-parse', '--verify', 'HEAD']);
    return { version, commit, dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '' };
  } catch {
    return { version };
  }
}

/** This machine and its Node.js. */
export function hostIdentity(): RunMetadata['host'] {
  return { hostname: os.hostname(), os: `${os.type()} ${os.release()}`, arch: os.machine(), node: process.version };
}

/** SHA-256 (hex) of a file, or undefined when it cannot be read. */
export function fileSha256(file: string): string | undefined {
  try {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}
