import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHostKey, fingerprint, fingerprintsEqual, hostLookupName, hostsFieldMatches, knownKeyTypes, parseKnownHosts } from '../src/transport/known-hosts';

// Keys made with ssh-keygen; fingerprints as `ssh-keygen -lf` printed them.
const A = 'AAAAC3NzaC1lZDI1NTE5AAAAILti9v0huRfm1ahtgKXdQTyg8zapPVSb+P9lOJ9lyn3V';
const A_FP = 'SHA256:HPQiQBNXjA9s+rnr/nuQCzqIMffhLB5H+A/w6aknTHQ';
const B = 'AAAAC3NzaC1lZDI1NTE5AAAAIIQSZRUwhNn8bYKA42T5MXMXI7xEf4gjkTuZiQKZ585b';
const B_FP = 'SHA256:F2NtfGS1dP9x6ntaqFUi8dc4qZZfAGy0rwuAIZBxtHA';
const C = 'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEgEiTXWYMMlKcJ8DIsP7N4uruWt0b0dRbrXPHZWGA05tTBTRbrFO2GDbcS6rPCo7OBL4B50PKxnPZKgWwa5Hfk=';
const C_FP = 'SHA256:OxgKgOAIOTDWP+Jzu/l7DlEjnI7lwhK96UgUSB4CUMI';
// `ssh-keygen -H` of "[gadget.lab]:2222 <A>" and "board1 <B>".
const HASHED = [
  `|1|QpTDEeNDQ82OynfDEtpZJ29sJls=|cTgvJpJo0UVNdKd6tGShq0jHgXU= ssh-ed25519 ${A}`,
  `|1|we3vt60Ds322DVpxRJJOPs0F36k=|gFcGNsugt2UMHIQeuHq4LrkAkBU= ssh-ed25519 ${B}`,
].join('\n');

const key = (b64: string) => Buffer.from(b64, 'base64');

describe('known_hosts', () => {
  it('computes OpenSSH SHA256 fingerprints (no padding)', () => {
    assert.equal(fingerprint(key(A)), A_FP);
    assert.equal(fingerprint(key(B)), B_FP);
    assert.equal(fingerprint(key(C)), C_FP);
    assert.ok(fingerprintsEqual(A_FP, `${A_FP}=`));
    assert.ok(!fingerprintsEqual(A_FP, B_FP));
  });

  it('uses [host]:port for non-22 ports', () => {
    assert.equal(hostLookupName('Board1', 22), 'board1');
    assert.equal(hostLookupName('127.0.0.1', 2222), '[127.0.0.1]:2222');
  });

  it('skips comments, blank lines, unknown markers and broken lines', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        '   ',
        `board1 ssh-ed25519 ${A} a comment with spaces`,
        `@weird board1 ssh-ed25519 ${A}`,
        `board2 ssh-ed25519 not*base64`,
        `board3 ssh-rsa ${A}`, // type field disagrees with the blob
        `board4 ssh-ed25519`,
        `\tboard5,board6\tecdsa-sha2-nistp256\t${C}\r`,
      ].join('\n'),
    );
    assert.deepEqual(
      entries.map((e) => [e.hosts, e.keyType, e.line]),
      [
        ['board1', 'ssh-ed25519', 4],
        ['board5,board6', 'ecdsa-sha2-nistp256', 9],
      ],
    );
  });

  it('matches plain names, comma lists and wildcards, honouring negation', () => {
    assert.ok(hostsFieldMatches('a,board1,c', 'board1'));
    assert.ok(hostsFieldMatches('BOARD*', 'board7'));
    assert.ok(hostsFieldMatches('board?', 'board7'));
    assert.ok(!hostsFieldMatches('board?', 'board77'));
    assert.ok(!hostsFieldMatches('board*,!board7', 'board7'));
    assert.ok(hostsFieldMatches('[127.0.0.1]:2222', '[127.0.0.1]:2222'));
    assert.ok(!hostsFieldMatches('127.0.0.1', '[127.0.0.1]:2222'));
    assert.ok(!hostsFieldMatches('a.b', 'aXb'), 'dots are literal');
  });

  it('reports match, mismatch (with both fingerprints) and unknown', () => {
    const entries = parseKnownHosts(`board1,[board1]:2222 ssh-ed25519 ${A}\nother ssh-ed25519 ${B}\n`);
    assert.deepEqual(checkHostKey(entries, 'board1', 22, key(A)), { result: 'match', offered: A_FP, line: 1 });
    assert.equal(checkHostKey(entries, 'board1', 2222, key(A)).result, 'match');
    const mismatch = checkHostKey(entries, 'board1', 22, key(B));
    assert.deepEqual(mismatch, { result: 'mismatch', offered: B_FP, offeredType: 'ssh-ed25519', expected: [`ssh-ed25519 ${A_FP}`], lines: [1], files: [undefined] });
    assert.deepEqual(checkHostKey(entries, 'board1', 2223, key(A)), { result: 'unknown', offered: A_FP, offeredType: 'ssh-ed25519' });
    assert.equal(checkHostKey(entries, 'nobody', 22, key(B)).result, 'unknown');
  });

  it('treats a known host offering a key of another type as a mismatch', () => {
    const entries = parseKnownHosts(`board1 ssh-ed25519 ${A}\n`);
    const r = checkHostKey(entries, 'board1', 22, key(C));
    assert.equal(r.result, 'mismatch');
    assert.deepEqual(knownKeyTypes(entries, 'board1', 22), ['ssh-ed25519']);
  });

  it('accepts any of several keys listed for one host', () => {
    const entries = parseKnownHosts(`board1 ssh-ed25519 ${A}\nboard1 ecdsa-sha2-nistp256 ${C}\n`);
    assert.equal(checkHostKey(entries, 'board1', 22, key(C)).result, 'match');
    assert.deepEqual(knownKeyTypes(entries, 'board1', 22), ['ssh-ed25519', 'ecdsa-sha2-nistp256']);
  });

  it('matches hashed entries made by ssh-keygen -H', () => {
    const entries = parseKnownHosts(HASHED);
    assert.equal(checkHostKey(entries, 'gadget.lab', 2222, key(A)).result, 'match');
    assert.equal(checkHostKey(entries, 'GADGET.lab', 2222, key(A)).result, 'match');
    assert.equal(checkHostKey(entries, 'gadget.lab', 22, key(A)).result, 'unknown');
    assert.equal(checkHostKey(entries, 'board1', 22, key(B)).result, 'match');
    assert.equal(checkHostKey(entries, 'board1', 22, key(A)).result, 'mismatch');
  });

  it('rejects @revoked keys even if another line lists them, and ignores @cert-authority', () => {
    const entries = parseKnownHosts(`board1 ssh-ed25519 ${A}\n@revoked * ssh-ed25519 ${A}\n@cert-authority * ssh-ed25519 ${B}\n`);
    assert.deepEqual(checkHostKey(entries, 'board1', 22, key(A)), { result: 'revoked', offered: A_FP, offeredType: 'ssh-ed25519', line: 2 });
    assert.equal(checkHostKey(entries, 'board1', 22, key(B)).result, 'mismatch', 'a CA key is not a host key');
    assert.equal(checkHostKey(entries, 'elsewhere', 22, key(B)).result, 'unknown');
  });
});
