// The segment reader on hostile input. Checks, besides memory safety (ASan,
// UBSan):
//  - resumability: scanning the bytes in pieces of varying sizes, as a reader
//    that keeps the unconsumed bytes and reads more does (ReadCertificateFile,
//    ct-fetch's torn-tail cut), yields exactly the blocks, corrupt regions,
//    records and consumed bytes of one scan of the whole;
//  - bounds: consumed() never passes the input, blocks and regions tile the
//    consumed bytes, a block decodes to at most the records its header
//    states (exactly that many, or none), every DER is 1 to
//    kMaxCertificateBytes and every log URL at most kMaxLogUrlBytes;
//  - the records of a block that decodes, written again by BlockBuilder,
//    read back the same.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/segment/segment.h"

namespace {

using ctmr::segment::BlockView;
using ctmr::segment::Record;

void Fail(const char* what) {
  std::fprintf(stderr, "segment_reader_fuzzer: %s\n", what);
  std::abort();
}

struct OwnedRecord {
  std::string log_url;
  uint64_t recorded_at_ms;
  std::string der;
  bool operator==(const OwnedRecord& o) const {
    return log_url == o.log_url && recorded_at_ms == o.recorded_at_ms && der == o.der;
  }
};

struct Seen {
  uint64_t offset, size;  // in the whole input
  bool corrupt, decoded;
  std::vector<OwnedRecord> records;
  bool operator==(const Seen& o) const {
    return offset == o.offset && size == o.size && corrupt == o.corrupt && decoded == o.decoded &&
           records == o.records;
  }
};

ctmr::segment::BlockDecoder& Decoder() {
  static auto* decoder = new ctmr::segment::BlockDecoder;
  return *decoder;
}

// Decodes `block` and checks what the header promised.
Seen Decode(const BlockView& block, uint64_t base) {
  Seen seen{base + block.offset, block.size, block.corrupt, false, {}};
  const absl::Status s = Decoder().Decode(block, [&](const Record& r) {
    if (r.der.empty() || r.der.size() > ctmr::segment::kMaxCertificateBytes) Fail("DER size");
    if (r.log_url.size() > ctmr::segment::kMaxLogUrlBytes) Fail("log URL size");
    seen.records.push_back({std::string(r.log_url), r.recorded_at_ms, std::string(r.der)});
  });
  seen.decoded = s.ok();
  if (block.corrupt && s.ok()) Fail("a corrupt region decodes");
  if (!s.ok() && !seen.records.empty()) Fail("a failed block visited records");
  if (s.ok() && seen.records.size() != block.records) Fail("records differ from the header");
  if (seen.records.size() > ctmr::segment::kMaxBlockRecords) Fail("too many records");
  return seen;
}

// Scans `buffer` (which starts at `base` in the input), appending to *out;
// returns consumed().
size_t Scan(std::string_view buffer, uint64_t base, bool at_end, std::vector<Seen>* out) {
  ctmr::segment::SegmentScanner scanner(buffer, at_end);
  BlockView block;
  uint64_t next = 0;
  while (scanner.Next(&block)) {
    if (block.offset != next || block.size == 0) Fail("blocks do not tile the input");
    if (block.offset + block.size > buffer.size()) Fail("a block past the buffer");
    next = block.offset + block.size;
    out->push_back(Decode(block, base));
  }
  if (scanner.consumed() != next) Fail("consumed differs from the blocks");
  if (scanner.consumed() > buffer.size()) Fail("consumed past the buffer");
  return scanner.consumed();
}

// Re-encodes the records of each decoded block and reads them back.
void CheckRoundTrip(const std::vector<Seen>& blocks) {
  static auto* builder = new ctmr::segment::BlockBuilder(1);
  std::string bytes;
  for (const Seen& b : blocks) {
    if (!b.decoded) continue;
    std::vector<Record> records;
    for (const OwnedRecord& r : b.records) records.push_back({r.log_url, r.recorded_at_ms, r.der});
    bytes.clear();
    if (!builder->AppendBlock(records, &bytes).ok()) continue;  // e.g. over kMaxRawBytes
    std::vector<Seen> again;
    if (Scan(bytes, 0, true, &again) != bytes.size() || again.size() != 1 || !again[0].decoded ||
        again[0].records != b.records) {
      Fail("records written again read back differently");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  std::vector<Seen> whole;
  const size_t consumed = Scan(input, 0, /*at_end=*/true, &whole);

  // The piece sizes come from the bytes themselves, so the input stays a
  // plain segment file (the corpus is .ctseg files).
  uint64_t state = 0x9e3779b97f4a7c15ull ^ size;
  for (size_t i = 0; i < size; i += 1 + size / 64) state = (state ^ data[i]) * 0x100000001b3ull;
  std::vector<Seen> pieces;
  std::string buffer;
  uint64_t base = 0;  // input offset of buffer[0]
  size_t fed = 0;
  do {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const size_t piece = std::min<size_t>(size - fed, 1 + (state >> 33) % (1 + size / 3));
    buffer.append(input.substr(fed, piece));
    fed += piece;
    const size_t n = Scan(buffer, base, /*at_end=*/fed == size, &pieces);
    buffer.erase(0, n);
    base += n;
  } while (fed < size);
  // A corrupt region longer than any block is cut where a piece ended (it is
  // one region only when the scanner sees its end); shorter inputs agree.
  if (size <= ctmr::segment::kMaxBlockBytes) {
    if (!(pieces == whole)) Fail("reading in pieces differs from reading once");
    if (base != consumed) Fail("consumed in pieces differs from once");
  }
  CheckRoundTrip(whole);
  return 0;
}
