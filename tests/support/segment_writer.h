// Segment files (common/segment) for tests: certificates in, .ctseg bytes out,
// written with segment::BlockBuilder as ct-fetch writes them.
#ifndef CT_TESTS_SUPPORT_SEGMENT_WRITER_H_
#define CT_TESTS_SUPPORT_SEGMENT_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/segment/segment.h"

namespace ctmr::testing {

// Segment bytes holding `ders` in order, at most `per_block` records to a
// block (and a block is closed, as ct-fetch closes it, once its DER passes
// segment::kTargetRawBytes). Records alternate between two log URLs, so the
// log table is exercised. Appends the offset of each block to *boundaries
// when it is not null.
std::string SegmentOf(const std::vector<std::string>& ders,
                      size_t per_block = segment::kMaxBlockRecords,
                      std::vector<uint64_t>* boundaries = nullptr);

// The certificates of a .pem or .cer file, in order, as the map reads them.
std::vector<std::string> CertificatesOfFile(const std::string& path);

// For each date directory of the data root `from` (every folder named
// YYYY-MM-DD), writes the same folder under `to` in which each issuer's
// .pem and .cer files are one <issuer>.ctseg, in the order the map reads them
// (empty blocks, which cannot be records, left out).
void ConvertRootToSegments(const std::string& from, const std::string& to,
                           size_t per_block = segment::kMaxBlockRecords);

}  // namespace ctmr::testing

#endif  // CT_TESTS_SUPPORT_SEGMENT_WRITER_H_
