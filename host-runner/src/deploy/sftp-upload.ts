import type { SFTPWrapper } from 'ssh2';
import { infraError } from '../cli/exit-codes';
import { directoriesOf, type DeployFile } from './deploy-files';

/** Files in flight at once: enough to hide the round trips, few enough for small boards. */
const PARALLEL = 8;

/**
 * Upload `files` under `dir` (which must exist) over SFTP: directories first, then the files,
 * PARALLEL at a time. `progress(done, total)` is called after each file. Errors are exit-3 LabErrors.
 */
export async function uploadFiles(sftp: SFTPWrapper, dir: string, files: readonly DeployFile[], progress: (done: number, total: number) => void): Promise<void> {
  for (const d of directoriesOf(files)) {
    await new Promise<void>((resolve, reject) =>
      sftp.mkdir(`${dir}/${d}`, { mode: 0o755 }, (err) => {
        // An existing directory is fine (re-deploys keep node_modules/ and such).
        if (!err) return resolve();
        sftp.stat(`${dir}/${d}`, (e2, st) => (!e2 && st.isDirectory() ? resolve() : reject(infraError(`cannot create ${dir}/${d} on the target: ${err.message}`))));
      }),
    );
  }
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++]!;
      await new Promise<void>((resolve, reject) =>
        sftp.writeFile(`${dir}/${f.rel}`, f.content, { mode: f.mode }, (err) => (err ? reject(infraError(`cannot write ${dir}/${f.rel} on the target: ${err.message}`)) : resolve())),
      );
      // writeFile's mode applies only to new files; a re-deploy must fix the mode of old ones.
      await new Promise<void>((resolve) => sftp.chmod(`${dir}/${f.rel}`, f.mode, () => resolve()));
      progress(++done, files.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, files.length) }, worker));
}
