#include "fetcher/fetch_state.h"

#include <sys/stat.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/base/status_macros.h"
#include "fetcher/log_list.h"
#include "fetcher/verify/codec.h"

namespace ctmr::fetch {
namespace {

using json = nlohmann::json;

absl::Status Corrupt(const std::string& path, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("state file ", path, ": ", what));
}

}  // namespace

std::string StateFileStem(absl::string_view log_id_base64, absl::string_view url) {
  std::string stem;
  if (!log_id_base64.empty()) {
    for (char c : log_id_base64) {
      if (c == '+') {
        stem += '-';
      } else if (c == '/') {
        stem += '_';
      } else if (c != '=') {
        stem += c;
      }
    }
    return stem;
  }
  for (char c : OriginFromUrl(url)) {
    stem += (absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_') ? c : '_';
  }
  return stem;
}

std::string StateFilePath(absl::string_view data_dir, absl::string_view stem) {
  return absl::StrCat(data_dir, "/state/", stem, ".json");
}

absl::StatusOr<FetchState> LoadFetchState(const std::string& path, absl::string_view url) {
  FetchState state;
  state.url = std::string(url);
  absl::StatusOr<std::string> text = base::ReadFileToString(path);
  if (absl::IsNotFound(text.status())) return state;
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Corrupt(path, "not a JSON object");
  auto get_u64 = [&](const json& obj, const char* name, uint64_t* out) {
    auto it = obj.find(name);
    if (it == obj.end() || !it->is_number_unsigned()) return false;
    *out = it->get<uint64_t>();
    return true;
  };
  auto head = j.find("tree_head");
  auto range = j.find("compact_range");
  auto file_url = j.find("url");
  if (file_url == j.end() || !file_url->is_string() || head == j.end() || !head->is_object() ||
      range == j.end() || !range->is_array() || !get_u64(j, "next_index", &state.next_index) ||
      !get_u64(*head, "tree_size", &state.tree_head.tree_size) ||
      !get_u64(*head, "timestamp", &state.tree_head.timestamp)) {
    return Corrupt(path, "missing or mistyped field");
  }
  auto root = head->find("root_hash");
  if (root == head->end() || !root->is_string()) return Corrupt(path, "no tree_head.root_hash");
  absl::StatusOr<std::string> root_bytes = verify::DecodeBase64Strict(root->get<std::string>());
  if (!root_bytes.ok() || root_bytes->size() != verify::kMerkleHashSize) {
    return Corrupt(path, "bad tree_head.root_hash");
  }
  state.tree_head.sha256_root_hash = *root_bytes;
  std::vector<std::string> hashes;
  for (const json& h : *range) {
    if (!h.is_string()) return Corrupt(path, "compact_range holds a non-string");
    hashes.push_back(h.get<std::string>());
  }
  absl::StatusOr<verify::CompactRange> compact =
      verify::CompactRange::FromBase64(state.next_index, hashes);
  if (!compact.ok()) return Corrupt(path, compact.status().message());
  state.range = *std::move(compact);
  if (state.next_index > state.tree_head.tree_size) {
    return Corrupt(path, "next_index is past the verified tree size");
  }
  return state;
}

absl::Status SaveFetchState(const std::string& path, const FetchState& state) {
  const std::string dir = path.substr(0, path.rfind('/'));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::UnavailableError(
        absl::StrCat("cannot create directory ", dir, ": ", base::ErrnoText(errno)));
  }
  json j = {{"url", state.url},
            {"next_index", state.next_index},
            {"tree_head",
             {{"tree_size", state.tree_head.tree_size},
              {"root_hash", verify::EncodeBase64(state.tree_head.sha256_root_hash)},
              {"timestamp", state.tree_head.timestamp}}},
            {"compact_range", state.range.SerializeBase64()}};
  const std::string text = j.dump(1) + "\n";
  return base::WriteFileAtomically(path, std::string_view(text));
}

}  // namespace ctmr::fetch
