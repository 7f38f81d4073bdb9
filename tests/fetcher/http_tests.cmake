# Tests of fetcher/http_client against tests/fetch_log_server/ct_test_log_server.py,
# started as a real process on 127.0.0.1 (needs python3 on PATH).
ct_cc_test(NAME http_client_test
  SRCS http_client_test.cc
  DEPS ct_http
  LABELS fetcher)
