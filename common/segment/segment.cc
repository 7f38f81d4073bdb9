#include "common/segment/segment.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ctmr::segment {
namespace {

void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

bool GetBytes(std::string_view* in, size_t max, std::string_view* out) {
  uint64_t n = 0;
  if (!GetVarint(in, &n) || n > max || n > in->size()) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

// The header at `p` (kHeaderBytes available) if it checks.
bool ReadHeader(const char* p, BlockView* block) {
  if (std::memcmp(p, kMagic.data(), kMagic.size()) != 0) return false;
  if (XXH3_64bits(p, 24) != GetU64(p + 24)) return false;
  const uint32_t payload = GetU32(p + 4);
  const uint32_t raw = GetU32(p + 8);
  const uint32_t records = GetU32(p + 12);
  if (payload == 0 || payload > kMaxPayloadBytes || raw > kMaxRawBytes || records == 0 ||
      records > kMaxBlockRecords) {
    return false;
  }
  block->size = kHeaderBytes + payload;
  block->raw_size = raw;
  block->records = records;
  block->payload_hash = GetU64(p + 16);
  return true;
}

}  // namespace

BlockBuilder::BlockBuilder(int zstd_level) : cctx_(ZSTD_createCCtx()) {
  ZSTD_CCtx_setParameter(static_cast<ZSTD_CCtx*>(cctx_), ZSTD_c_compressionLevel, zstd_level);
}

BlockBuilder::~BlockBuilder() { ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_)); }

absl::Status BlockBuilder::AppendBlock(const std::vector<Record>& records, std::string* out) {
  if (records.empty() || records.size() > kMaxBlockRecords) {
    return absl::InvalidArgumentError(
        absl::StrCat("a block holds 1 to ", kMaxBlockRecords, " records, not ", records.size()));
  }
  // The log table: records name their log by index; most blocks have one or two.
  // Members, reused: a block allocates nothing once the buffers have grown.
  std::vector<std::string_view>& logs = logs_;
  std::string& body = body_;
  logs.clear();
  raw_.clear();
  body.clear();
  for (const Record& r : records) {
    if (r.der.empty() || r.der.size() > kMaxCertificateBytes ||
        r.log_url.size() > kMaxLogUrlBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("a record of ", r.der.size(), " DER bytes and a log URL of ",
                       r.log_url.size(), " bytes is over the bounds"));
    }
    size_t index = 0;
    while (index < logs.size() && logs[index] != r.log_url) ++index;
    if (index == logs.size()) logs.push_back(r.log_url);
    PutVarint(&body, index);
    PutVarint(&body, r.recorded_at_ms);
    PutVarint(&body, r.der.size());
    body.append(r.der.data(), r.der.size());
  }
  PutVarint(&raw_, logs.size());
  for (std::string_view url : logs) {
    PutVarint(&raw_, url.size());
    raw_.append(url.data(), url.size());
  }
  raw_.append(body);
  if (raw_.size() > kMaxRawBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a block of ", raw_.size(), " raw bytes is over ", kMaxRawBytes));
  }
  const size_t at = out->size();
  const size_t bound = ZSTD_compressBound(raw_.size());
  out->resize(at + kHeaderBytes + bound);
  char* header = out->data() + at;
  const size_t n = ZSTD_compress2(static_cast<ZSTD_CCtx*>(cctx_), header + kHeaderBytes, bound,
                                  raw_.data(), raw_.size());
  if (ZSTD_isError(n) || n > kMaxPayloadBytes) {
    out->resize(at);
    return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(n)));
  }
  std::memcpy(header, kMagic.data(), kMagic.size());
  PutU32(header + 4, static_cast<uint32_t>(n));
  PutU32(header + 8, static_cast<uint32_t>(raw_.size()));
  PutU32(header + 12, static_cast<uint32_t>(records.size()));
  PutU64(header + 16, XXH3_64bits(header + kHeaderBytes, n));
  PutU64(header + 24, XXH3_64bits(header, 24));
  out->resize(at + kHeaderBytes + n);
  return absl::OkStatus();
}

SegmentScanner::SegmentScanner(std::string_view buffer, bool at_end_of_input)
    : buffer_(buffer), at_end_(at_end_of_input) {}

bool SegmentScanner::Next(BlockView* block) {
  const size_t at = consumed_;
  const size_t left = buffer_.size() - at;
  if (left < kHeaderBytes) {
    // A torn header, or the end. Corrupt bytes after a corrupt region were
    // consumed with it, so these are at most the start of a block.
    return false;
  }
  BlockView found;
  if (ReadHeader(buffer_.data() + at, &found)) {
    if (found.size > left) return false;  // torn: its payload is still coming
    found.offset = at;
    found.payload = buffer_.substr(at + kHeaderBytes, found.size - kHeaderBytes);
    *block = found;
    consumed_ = at + found.size;
    return true;
  }
  // Not a block: skip to the next header that checks. Headers can start only
  // before `limit`; later positions are looked at again with more input.
  const size_t limit = buffer_.size() - kHeaderBytes + 1;
  size_t next = limit;
  bool found_header = false;
  for (size_t from = at + 1; from < limit;) {
    const size_t hit = buffer_.find(kMagic, from);
    if (hit == std::string_view::npos || hit >= limit) break;
    BlockView probe;
    if (ReadHeader(buffer_.data() + hit, &probe)) {
      next = hit;
      found_header = true;
      break;
    }
    from = hit + 1;
  }
  if (!found_header) {
    if (at_end_) {
      // To the end, but for a last few bytes that may be a block's header
      // still being written (they start like one): they are a torn tail.
      next = buffer_.size();
      for (size_t p = std::max(at + 1, limit); p < buffer_.size(); ++p) {
        const size_t n = std::min(kMagic.size(), buffer_.size() - p);
        if (buffer_.compare(p, n, kMagic.substr(0, n)) == 0) {
          next = p;
          break;
        }
      }
    } else if (buffer_.size() - at <= kMaxBlockBytes) {
      return false;  // the next header may be just past this buffer
    }
    // else: the region is longer than any block already; end it at `limit`.
  }
  *block = BlockView{};
  block->offset = at;
  block->size = next - at;
  block->corrupt = true;
  consumed_ = next;
  return true;
}

BlockDecoder::BlockDecoder() : dctx_(ZSTD_createDCtx()) {}

BlockDecoder::~BlockDecoder() { ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(dctx_)); }

absl::Status BlockDecoder::Decode(const BlockView& block,
                                  absl::FunctionRef<void(const Record&)> visit) {
  if (block.corrupt) return absl::DataLossError("not a block");
  if (XXH3_64bits(block.payload.data(), block.payload.size()) != block.payload_hash) {
    return absl::DataLossError(absl::StrCat("the block at ", block.offset, " fails its checksum"));
  }
  raw_.resize(block.raw_size);
  const size_t n = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(dctx_), raw_.data(), raw_.size(),
                                       block.payload.data(), block.payload.size());
  if (ZSTD_isError(n) || n != block.raw_size) {
    return absl::DataLossError(
        absl::StrCat("the block at ", block.offset, " does not decompress to its size"));
  }
  std::string_view in(raw_);
  uint64_t n_logs = 0;
  if (!GetVarint(&in, &n_logs) || n_logs > block.records) {
    return absl::DataLossError(absl::StrCat("the block at ", block.offset, " has a bad log table"));
  }
  logs_.clear();
  for (uint64_t i = 0; i < n_logs; ++i) {
    std::string_view url;
    if (!GetBytes(&in, kMaxLogUrlBytes, &url)) {
      return absl::DataLossError(
          absl::StrCat("the block at ", block.offset, " has a bad log table"));
    }
    logs_.push_back(url);
  }
  records_.clear();
  while (!in.empty()) {
    uint64_t log = 0;
    Record r;
    if (records_.size() == block.records || !GetVarint(&in, &log) || log >= logs_.size() ||
        !GetVarint(&in, &r.recorded_at_ms) || !GetBytes(&in, kMaxCertificateBytes, &r.der) ||
        r.der.empty()) {
      return absl::DataLossError(absl::StrCat("the block at ", block.offset, " has a bad record"));
    }
    r.log_url = logs_[log];
    records_.push_back(r);
  }
  if (records_.size() != block.records) {
    return absl::DataLossError(absl::StrCat("the block at ", block.offset, " holds ",
                                            records_.size(), " records, not ", block.records));
  }
  for (const Record& r : records_) visit(r);
  return absl::OkStatus();
}

}  // namespace ctmr::segment
