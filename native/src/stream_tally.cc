#include "stream_tally.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace ffslab {

uint64_t StreamTally::Expected(uint64_t k) const {
  if (shape_.transfer_size == 0) return 0;
  return std::min(shape_.transfer_size, shape_.total_bytes - k * shape_.transfer_size);
}

uint64_t StreamTally::PostLength(uint64_t k) const {
  uint64_t e = Expected(k);
  uint64_t mps = shape_.max_packet_size;
  return e == 0 ? mps : (e + mps - 1) / mps * mps;
}

uint64_t StreamTally::SlotBytes(bool receiving) const { return receiving ? PostLength(0) : Expected(0); }

void StreamTally::Fill(uint8_t *buf, uint64_t k) const {
  uint64_t len = Expected(k);
  size_t pos = (k * shape_.transfer_size) % period_;
  size_t i = 0;
  while (i < len) {
    size_t n = std::min<size_t>(period_ - pos, len - i);
    std::memcpy(buf + i, pattern_ + pos, n);
    i += n;
    pos = 0;
  }
}

bool StreamTally::Sent(uint64_t k, const uint8_t *data, uint64_t n, std::string *error) {
  uint64_t expected = Expected(k);
  if (n != expected) {
    char detail[128];
    snprintf(detail, sizeof(detail), "transfer %llu: wrote %llu of %llu bytes", static_cast<unsigned long long>(k), static_cast<unsigned long long>(n),
             static_cast<unsigned long long>(expected));
    *error = detail;
    return false;
  }
  if (n) crc_ = static_cast<uint32_t>(crc32(crc_, data, static_cast<uInt>(n)));
  bytes_ += n;
  transfers_++;
  return true;
}

bool StreamTally::Received(uint64_t k, const uint8_t *data, uint64_t n) {
  if (shape_.packet_pattern) return ReceivedPackets(k, data, n);
  uint64_t expected = Expected(k);
  uint64_t offset = k * shape_.transfer_size;
  if (n) crc_ = static_cast<uint32_t>(crc32(crc_, data, static_cast<uInt>(n)));
  bytes_ += n;
  transfers_++;
  bool ok = true;
  uint64_t common = std::min(expected, n);
  long bad = common ? Verify(data, common, offset) : -1;
  char detail[160];
  if (bad >= 0) {
    ok = false;
    if (first_bad_ < 0) {
      first_bad_ = static_cast<int64_t>(offset + bad);
      snprintf(detail, sizeof(detail), "byte 0x%02x, expected 0x%02x (transfer %llu)", data[bad], pattern_[(offset + bad) % period_], static_cast<unsigned long long>(k));
      fault_ = detail;
    }
  }
  if (n != expected) {
    ok = false;
    if (first_bad_ < 0) {
      first_bad_ = static_cast<int64_t>(offset + common);
      snprintf(detail, sizeof(detail), "transfer %llu: %llu bytes, expected %llu", static_cast<unsigned long long>(k), static_cast<unsigned long long>(n),
               static_cast<unsigned long long>(expected));
      fault_ = detail;
    }
  }
  if (!ok) bad_transfers_++;
  return ok;
}

bool StreamTally::ReceivedPackets(uint64_t k, const uint8_t *data, uint64_t n) {
  uint64_t offset = bytes_;
  if (n) crc_ = static_cast<uint32_t>(crc32(crc_, data, static_cast<uInt>(n)));
  bytes_ += n;
  transfers_++;
  // A transfer starts at a packet's start, so at the table's start (period = the packet size).
  long bad = n ? Verify(data, n, 0) : -1;
  if (bad < 0) return true;
  bad_transfers_++;
  if (first_bad_ < 0) {
    first_bad_ = static_cast<int64_t>(offset + bad);
    char detail[160];
    snprintf(detail, sizeof(detail), "byte 0x%02x, expected 0x%02x (byte %ld of transfer %llu, %llu bytes long)", data[bad], pattern_[bad % period_], bad,
             static_cast<unsigned long long>(k), static_cast<unsigned long long>(n));
    fault_ = detail;
  }
  return false;
}

Napi::Object StreamTally::ToJs(Napi::Env env) const {
  Napi::Object t = Napi::Object::New(env);
  t.Set("bytes", static_cast<double>(bytes_));
  t.Set("transfers", static_cast<double>(transfers_));
  t.Set("crc", static_cast<double>(crc_));
  t.Set("firstBadOffset", first_bad_ < 0 ? env.Null() : Napi::Number::New(env, static_cast<double>(first_bad_)));
  if (!fault_.empty()) t.Set("fault", fault_);
  t.Set("badTransfers", static_cast<double>(bad_transfers_));
  return t;
}

long StreamTally::Verify(const uint8_t *buf, size_t len, uint64_t offset) const {
  size_t pos = offset % period_;
  size_t i = 0;
  while (i < len) {
    size_t n = std::min(period_ - pos, len - i);
    if (std::memcmp(buf + i, pattern_ + pos, n) != 0) {
      for (size_t j = 0; j < n; j++)
        if (buf[i + j] != pattern_[pos + j]) return static_cast<long>(i + j);
    }
    i += n;
    pos = 0;
  }
  return -1;
}

}  // namespace ffslab
