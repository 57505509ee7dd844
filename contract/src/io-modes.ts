/** The ways an endpoint file moves data: read/write, Linux AIO, mmapped zero-copy buffers, DMABUF. */
export const IO_MODES = ['copy', 'aio', 'mmap', 'dmabuf'] as const;
/** One of {@link IO_MODES}. */
export type IoModeName = (typeof IO_MODES)[number];
