# ct-fetch: the log list, the follower (RFC 6962 and static-ct-api), the PEM
# writer and the state files, and the binary. Included from fetcher/CMakeLists.txt
# after http_client.cmake.
ct_cc_library(NAME ct_fetch
  SRCS log_list.cc entry_writer.cc fetch_state.cc log_follower.cc
  HDRS log_list.h entry_writer.h fetch_state.h log_follower.h
  DEPS ct_fetch_core ct_http ct_common ct_x509 CLI11::CLI11 nlohmann_json::nlohmann_json
       absl::status absl::statusor absl::strings absl::str_format absl::flat_hash_map)
ct_cc_library(NAME ct_fetch_metrics SRCS fetch_metrics.cc HDRS fetch_metrics.h
  DEPS ct_fetch ct_metrics prometheus-cpp::core absl::status absl::strings)
ct_cc_binary(NAME ct-fetch SRCS main.cc DEPS ct_fetch ct_fetch_metrics glog::glog)
