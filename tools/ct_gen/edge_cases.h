// Edge cases: the hand-written certificates, malformed blocks and stray files
// that `ct-gen --edge-cases` adds to a corpus, one for each rule of DESIGN.md
// section 3, each with an exactly known effect on the answers.
//
// The expected FQDNs and registered domains of every edge certificate are
// written out next to its raw names (by construction, not computed), so the
// answers do not depend on any normalization code.
#ifndef CT_TOOLS_CT_GEN_EDGE_CASES_H_
#define CT_TOOLS_CT_GEN_EDGE_CASES_H_

#include "absl/status/status.h"

namespace ctgen {

class Corpus;

// Adds every edge case except the half-written block. Call after the regular
// certificates, before the final flush.
absl::Status WriteEdgeCases(Corpus* corpus);

// Appends a block that ct-fetch is still writing (BEGIN and part of the body,
// no END) to the end of one PEM file of the as-of directory. Not counted: a
// map reads it once it is complete. Call after everything else is flushed.
absl::Status WriteHalfWrittenBlock(Corpus* corpus);

}  // namespace ctgen

#endif  // CT_TOOLS_CT_GEN_EDGE_CASES_H_
