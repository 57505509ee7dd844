import { infraError, usageError } from '@ffs-lab/contract/exit-codes';
import type { Transport } from '../transport/transport';
import { INSTALL_MARKER, INSTALL_MARKER_TEXT, installDirProblem } from './install-dir';

/**
 * The check and the preparation of the install dir, run on the target as one `sh -c` script with
 * positional arguments ($1 mode, $2 dir, $3 marker name, $4 marker text, $5 in prep mode: the
 * physical path the probe saw), so no path is ever pasted into shell text. It prints one line,
 * `<state> <physical path>`:
 * - refusals: `link` (the dir is a symbolic link: never followed), `notdir`, `foreign` (not empty,
 *   no marker), `badmarker` (a marker that is not a regular file with our text);
 * - `moved` (prep only): the dir is no longer where the probe found it (a parent's link changed in
 *   between), so nothing is removed;
 * - `missing` (probe only), `empty`, `ours`: may be used. In `prep` mode, after the same checks, it
 *   creates the dir, (re)writes the marker with noclobber after removing the old one, removes
 *   bin/ and what the npm-based deploys before the agent bundle left (dist/, native/,
 *   node_modules/, package.json, package-lock.json; rm -rf never follows links: a planted
 *   `bin -> /x` loses only the link), then prints `prepared`.
 */
export const INSTALL_DIR_SCRIPT = `
mode=$1 dir=$2 marker=$3 text=$4 seen=$5
m=$dir/$marker
created=
if [ -L "$dir" ]; then echo link; exit 0; fi
if [ ! -e "$dir" ]; then
  if [ "$mode" = probe ]; then echo missing; exit 0; fi
  mkdir -p -- "$dir" || exit 1
  state=empty created=1
elif [ ! -d "$dir" ]; then echo notdir; exit 0
elif [ -L "$m" ] || { [ -e "$m" ] && [ ! -f "$m" ]; }; then echo badmarker; exit 0
elif [ -f "$m" ]; then
  line=
  IFS= read -r line < "$m"
  if [ "$line" != "$text" ]; then echo badmarker; exit 0; fi
  state=ours
elif [ -n "$(ls -A -- "$dir")" ]; then echo foreign; exit 0
else state=empty
fi
cd -P -- "$dir" || exit 1
here=$(pwd -P)
if [ "$mode" = probe ]; then echo "$state $here"; exit 0; fi
if [ -z "$created" ] && [ "$here" != "$seen" ]; then echo "moved $here"; exit 0; fi
rm -f -- "$marker" || exit 1
(set -C && printf '%s\\n' "$text" > "$marker") || exit 1
rm -rf -- bin dist native node_modules package.json package-lock.json || exit 1
echo "prepared $(pwd -P)"
`;

/**
 * Check `dir` on the target, or refuse it (exit 2) before anything there is removed: it must be
 * new, empty, or marked as ours, must not be a symbolic link, and its physical path (after the
 * parents' links) must pass the same rule as the path given. Resolves with the step that makes
 * it ready for an upload (removing the old install), to run once there is something to upload.
 */
export async function checkInstallDir(transport: Transport, dir: string, timeoutMs: number): Promise<() => Promise<void>> {
  const where = `${dir} on ${transport.description}`;
  const run = async (mode: 'probe' | 'prep', seen = '') => {
    const r = await transport.exec(['sh', '-c', INSTALL_DIR_SCRIPT, 'sh', mode, dir, INSTALL_MARKER, INSTALL_MARKER_TEXT, seen], { timeoutMs });
    const out = r.stdout.replace(/\n$/, '');
    if (r.code !== 0 || !out) throw infraError(`cannot prepare ${where}: ${r.stderr.trim().split('\n').pop() || `exit ${r.code ?? r.signal}`}`, 'may the SSH user write there? (agent.installDir, or --install-dir)');
    const space = out.indexOf(' ');
    return { state: space < 0 ? out : out.slice(0, space), physical: space < 0 ? undefined : out.slice(space + 1) };
  };
  const refuse = (why: string) => usageError(`install dir ${where} ${why}`, 'deploy installs only into a new or empty directory, or one it installed before (it holds its marker file): choose another --install-dir (agent.installDir)');
  const check = ({ state, physical }: { state: string; physical: string | undefined }) => {
    switch (state) {
      case 'link':
        throw refuse('is a symbolic link: deploy does not follow it, as it would replace files wherever it points');
      case 'notdir':
        throw refuse('exists and is not a directory');
      case 'foreign':
        throw refuse(`is not empty and has no ${INSTALL_MARKER}: ffs-lab deploy did not install it, so nothing in it is replaced`);
      case 'badmarker':
        throw refuse(`has a ${INSTALL_MARKER} that ffs-lab deploy did not write (not a regular file holding its one line): nothing in it is replaced`);
      case 'moved':
        throw refuse(`changed between the check and the preparation (it now leads to ${physical ?? '?'}): nothing in it was removed`);
      case 'missing':
        return;
      case 'empty':
      case 'ours':
      case 'prepared': {
        const problem = physical === undefined ? 'has no physical path' : installDirProblem(physical);
        if (problem) throw refuse(`is really ${physical ?? '?'} (through symbolic links in its parents), which is refused: ${problem}`);
        return;
      }
      default:
        throw infraError(`cannot prepare ${where}: unexpected answer ${JSON.stringify(state)}`);
    }
  };
  // Probe first: the physical path is checked here before the script removes anything there.
  const probe = await run('probe');
  check(probe);
  // prep removes only if the dir still leads where the probe saw it.
  return async () => check(await run('prep', probe.physical ?? ''));
}
