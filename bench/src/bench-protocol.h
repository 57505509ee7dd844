/*
 * How the C host tells the C gadget which stream to run: vendor control requests to interface 0,
 * so one enumerated gadget serves every stream of a bench run (re-enumerating per stream would
 * cost more than the streams on an emulated machine).
 *
 *   START  (OUT, data: the stream spec as text, see below)  -> the gadget prepares the stream
 *   STATUS (IN)  <- "ready" once buffers are set up, or "error CODE message"; the gadget then runs it
 *   RESULT (IN)  <- the gadget's one-line JSON result of the last stream (after it ended)
 *
 * The spec is ASCII key=value pairs separated by spaces:
 *   kind=source|sink mode=copy|aio|mmap|dmabuf size=BYTES total=BYTES [transfers=N] depth=N
 *   seed=U32 timeout_ms=MS [max_in_flight=BYTES]
 */
#ifndef FFS_BENCH_PROTOCOL_H
#define FFS_BENCH_PROTOCOL_H

/** bmRequestType: vendor, interface recipient, host to device. */
#define BENCH_RT_OUT 0x41
/** bmRequestType: vendor, interface recipient, device to host. */
#define BENCH_RT_IN 0xc1

#define BENCH_REQ_START 0x01
#define BENCH_REQ_STATUS 0x02
#define BENCH_REQ_RESULT 0x03

/** Longest spec or reply (wLength). */
#define BENCH_CTRL_MAX 2048

#endif
