#include "common/x509/pem_scanner.h"

#include <algorithm>

namespace ctmr::x509 {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

// Skips one line terminator ("\n" or "\r\n") at `pos`, if present.
size_t SkipNewline(std::string_view s, size_t pos) {
  if (pos < s.size() && s[pos] == '\r') ++pos;
  if (pos < s.size() && s[pos] == '\n') ++pos;
  return pos;
}

// Removes RFC 1421 header lines and stores them (without the blank line) in
// *headers. Returns false when the headers are not closed by a blank line.
bool StripHeaders(std::string_view* body, std::string_view* headers) {
  const size_t first_eol = body->find('\n');
  const std::string_view first_line = body->substr(0, first_eol);
  if (first_line.find(':') == std::string_view::npos) return true;
  size_t pos = 0;
  while (pos < body->size()) {
    size_t eol = body->find('\n', pos);
    if (eol == std::string_view::npos) return false;
    const size_t line_start = pos;
    std::string_view line = body->substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = eol + 1;
    if (line.empty()) {
      *headers = body->substr(0, line_start);
      body->remove_prefix(pos);
      return true;
    }
  }
  return false;
}

}  // namespace

PemScanner::PemScanner(std::string_view buffer, bool at_end_of_input)
    : buffer_(buffer), at_end_(at_end_of_input) {}

bool PemScanner::Next(PemBlock* block) {
  while (true) {
    const size_t begin = buffer_.find(kBegin, consumed_);
    if (begin == std::string_view::npos) {
      // No block starts here. Keep a tail that could be the start of a BEGIN
      // line still being written, unless the input is known to end here.
      if (at_end_) {
        const size_t last_eol = buffer_.rfind('\n');
        const size_t tail_start = last_eol == std::string_view::npos ? 0 : last_eol + 1;
        const bool tail_may_grow = buffer_.substr(tail_start).find('-') != std::string_view::npos;
        consumed_ = std::max(consumed_, tail_may_grow ? tail_start : buffer_.size());
      } else if (buffer_.size() >= kBegin.size()) {
        consumed_ = std::max(consumed_, buffer_.size() - kBegin.size() + 1);
      }
      return false;
    }
    consumed_ = begin;
    const size_t label_start = begin + kBegin.size();
    const size_t label_end = buffer_.find(kDashes, label_start);
    const size_t line_end = buffer_.find('\n', label_start);
    if (label_end == std::string_view::npos || line_end == std::string_view::npos) {
      if (buffer_.size() - begin > kMaxPemBlockBytes) {
        consumed_ = label_start;
        *block = PemBlock{{}, {}, true, {}};
        return true;
      }
      return false;  // the BEGIN line is still being written
    }
    if (label_end > line_end) {
      // "-----BEGIN " without its closing dashes on the line: not a block.
      consumed_ = line_end + 1;
      *block = PemBlock{{}, {}, true, {}};
      return true;
    }
    const std::string_view label = buffer_.substr(label_start, label_end - label_start);
    const size_t body_start = line_end + 1;

    // One pass for whichever marker comes first (base64 has no '-').
    size_t end = std::string_view::npos;
    size_t next_begin = std::string_view::npos;
    for (size_t dash = buffer_.find('-', body_start); dash != std::string_view::npos;
         dash = buffer_.find('-', dash + 1)) {
      const std::string_view rest = buffer_.substr(dash);
      if (rest.substr(0, kEnd.size()) == kEnd) {
        end = dash;
        break;
      }
      if (rest.substr(0, kBegin.size()) == kBegin) {
        next_begin = dash;
        break;
      }
    }
    if (next_begin != std::string_view::npos) {
      // A writer died mid-block and another block was appended after it.
      consumed_ = next_begin;
      *block = PemBlock{label, {}, true, {}};
      return true;
    }
    if (end == std::string_view::npos) {
      if (buffer_.size() - begin > kMaxPemBlockBytes) {
        consumed_ = body_start;
        *block = PemBlock{label, {}, true, {}};
        return true;
      }
      return false;  // half-written block: read it next time
    }
    const size_t end_label_start = end + kEnd.size();
    const size_t end_label_end = buffer_.find(kDashes, end_label_start);
    const size_t end_line_end = buffer_.find('\n', end_label_start);
    if (end_line_end == std::string_view::npos) {
      // The END line is still being written until its '\n' is (see the
      // header: ct-fetch cuts a block that lacks it), unless it has run past
      // the bound.
      if (buffer_.size() - begin > kMaxPemBlockBytes) {
        consumed_ = end_label_start;
        *block = PemBlock{label, {}, true, {}};
        return true;
      }
      return false;
    }
    if (end_label_end == std::string_view::npos || end_label_end > end_line_end) {
      consumed_ = end_line_end + 1;
      *block = PemBlock{label, {}, true, {}};
      return true;
    }
    consumed_ = SkipNewline(buffer_, end_label_end + kDashes.size());
    std::string_view body = buffer_.substr(body_start, end - body_start);
    const std::string_view end_label =
        buffer_.substr(end_label_start, end_label_end - end_label_start);
    std::string_view headers;
    const bool headers_ok = StripHeaders(&body, &headers);
    *block = PemBlock{label, body, end_label != label || !headers_ok, headers};
    return true;
  }
}

size_t CompletePemPrefix(std::string_view text) {
  PemScanner scanner(text, /*at_end_of_input=*/true);
  PemBlock block;
  while (scanner.Next(&block)) {
  }
  return scanner.consumed();
}

}  // namespace ctmr::x509
