# Tests of ct-fetch (fetcher/fetch.cmake). Included from tests/fetcher/CMakeLists.txt.
ct_cc_test(NAME fetcher_log_list_test SRCS log_list_test.cc DEPS ct_fetch)
ct_cc_test(NAME fetcher_fetch_state_test SRCS fetch_state_test.cc
  DEPS ct_fetch ct_test_support)
ct_cc_test(NAME fetcher_entry_writer_test SRCS entry_writer_test.cc
  DEPS ct_fetch ct_test_support)
# Runs the real ct-fetch and ct-worker binaries against
# tests/fetch_log_server/ct_test_log_server.py (needs python3 and openssl on PATH).
ct_cc_test(NAME fetch_integration_test SRCS fetch_integration_test.cc
  DEPS ct_fetch ct_test_support
  LABELS fetcher integration)
ct_cc_test(NAME fetcher_fetch_metrics_test SRCS fetch_metrics_test.cc DEPS ct_fetch_metrics)
