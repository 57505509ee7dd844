import type { SFTPWrapper } from 'ssh2';
import { infraError } from '@ffs-lab/contract/exit-codes';
import { directoriesOf, type DeployFile } from './deploy-files';

/** Files in flight at once: enough to hide the round trips, few enough for small boards. */
const PARALLEL = 8;

/**
 * Upload `files` under `dir` (which must exist) over SFTP: directories first, then the files,
 * PARALLEL at a time. `progress(done, total)` is called after each file. Errors are exit-3 LabErrors.
 * Nothing is written through a symbolic link: an existing directory must be a real one (lstat),
 * and each file is created with O_EXCL (which fails on any link), after removing what was at its
 * path (a link is removed, never its target).
 */
export async function uploadFiles(sftp: SFTPWrapper, dir: string, files: readonly DeployFile[], progress: (done: number, total: number) => void): Promise<void> {
  for (const d of directoriesOf(files)) {
    await new Promise<void>((resolve, reject) =>
      sftp.mkdir(`${dir}/${d}`, { mode: 0o755 }, (err) => {
        // An existing directory is fine (re-deploys keep node_modules/ and such).
        if (!err) return resolve();
        sftp.lstat(`${dir}/${d}`, (e2, st) => (!e2 && st.isDirectory() ? resolve() : reject(infraError(`cannot create ${dir}/${d} on the target: ${e2 ? err.message : 'something that is not a directory is there'}`))));
      }),
    );
  }
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++]!;
      await writeNew(sftp, `${dir}/${f.rel}`, f);
      // The mode given at creation is reduced by the server's umask.
      await new Promise<void>((resolve) => sftp.chmod(`${dir}/${f.rel}`, f.mode, () => resolve()));
      progress(++done, files.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, files.length) }, worker));
}

/**
 * Create `remote` afresh with O_CREAT|O_EXCL ('wx'). When something is there already (a file of
 * an earlier deploy, or a planted link), it is unlinked first, which removes a link itself.
 */
async function writeNew(sftp: SFTPWrapper, remote: string, f: DeployFile): Promise<void> {
  const write = () => new Promise<Error | undefined>((resolve) => sftp.writeFile(remote, f.content, { mode: f.mode, flag: 'wx' }, (err) => resolve(err ?? undefined)));
  const first = await write();
  if (!first) return;
  const st = await new Promise<{ isDirectory(): boolean } | undefined>((resolve) => sftp.lstat(remote, (err, s) => resolve(err ? undefined : s)));
  if (!st) throw infraError(`cannot write ${remote} on the target: ${first.message}`);
  if (st.isDirectory()) throw infraError(`cannot write ${remote} on the target: a directory is in the way`);
  await new Promise<void>((resolve, reject) => sftp.unlink(remote, (err) => (err ? reject(infraError(`cannot replace ${remote} on the target: ${err.message}`)) : resolve())));
  const again = await write();
  if (again) throw infraError(`cannot write ${remote} on the target: ${again.message}`);
}
