// The shape and accounting of one stream end, as contract/src/stream-layout.ts and
// stream-tally.ts define them: transfer lengths, the pattern a sender fills in, and what a
// receiver checks (every byte, every length), with a CRC-32 of the bytes in stream order.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace ffslab {

struct StreamShape {
  uint64_t transfer_size = 0;  // 0: a stream of zero-length transfers
  uint64_t total_bytes = 0;
  uint64_t transfers = 0;
  uint32_t max_packet_size = 0;
  // Gadget Zero's convention (f_sourcesink): every packet carries the pattern from its start (the
  // table is one packet long), and a receiver takes transfers of any length up to its post length.
  bool packet_pattern = false;
};

class StreamTally {
 public:
  // `pattern`: the seed's table (period = its length); it must outlive the tally.
  StreamTally(const StreamShape &shape, const uint8_t *pattern, size_t period) : shape_(shape), pattern_(pattern), period_(period) {}

  const StreamShape &shape() const { return shape_; }
  // Bytes transfer k carries.
  uint64_t Expected(uint64_t k) const;
  // Bytes a receiver posts for transfer k (rounded up to the packet size; one packet for a ZLP).
  uint64_t PostLength(uint64_t k) const;
  // The largest buffer a transfer needs (receivers post rounded lengths).
  uint64_t SlotBytes(bool receiving) const;
  // Fill `buf` with the pattern bytes of transfer k.
  void Fill(uint8_t *buf, uint64_t k) const;
  // Count transfer k as sent (`n` bytes went out). False, with `error` set, for a short write.
  bool Sent(uint64_t k, const uint8_t *data, uint64_t n, std::string *error);
  // Check and count received transfer k (`n` bytes). False when a byte or the length was wrong
  // (with packet_pattern: when a byte was; any length is right).
  bool Received(uint64_t k, const uint8_t *data, uint64_t n);
  // What was wrong at firstBadOffset ("" while all was right).
  const std::string &fault() const { return fault_; }
  // {bytes, transfers, crc, firstBadOffset, fault?, badTransfers}
  Napi::Object ToJs(Napi::Env env) const;

 private:
  long Verify(const uint8_t *buf, size_t len, uint64_t offset) const;
  bool ReceivedPackets(uint64_t k, const uint8_t *data, uint64_t n);

  StreamShape shape_;
  const uint8_t *pattern_;
  size_t period_;
  uint64_t bytes_ = 0;
  uint64_t transfers_ = 0;
  uint32_t crc_ = 0;
  int64_t first_bad_ = -1;
  std::string fault_;
  uint64_t bad_transfers_ = 0;
};

}  // namespace ffslab
