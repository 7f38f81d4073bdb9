#!/usr/bin/env bash
# Installs every Debian package that building, testing and running ct-mapreduce
# needs, and the pinned npm packages of report/ (the charting library that
# report.html inlines). Idempotent, and silent when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev clang-format clang-tidy
  # libraries the user chose
  libssl-dev openssl libprotobuf-dev protobuf-compiler libzmq3-dev cppzmq-dev
  libcurl4-openssl-dev zlib1g-dev libpsl-dev publicsuffix libgoogle-glog-dev libgtest-dev libgmock-dev
  # libraries we chose (README: "Dependencies")
  libabsl-dev nlohmann-json3-dev libsimdjson-dev libdeflate-dev libzstd-dev libcli11-dev libxxhash-dev
  libbenchmark-dev
  prometheus-cpp-dev libcivetweb-dev
  # tests and benchmarks; chromium opens report.html in the browser test
  python3 time procps curl iproute2 chromium fonts-dejavu-core
  # systemd-analyze checks deploy/systemd's units (not in a bare Debian 12 container)
  systemd
)
# npm installs report/'s charting library. Debian's npm brings Debian's nodejs;
# a machine that has node and npm from elsewhere keeps them.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root to install them" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# report/node_modules, exactly as package-lock.json says; again whenever the
# lock file is newer than what npm last installed.
if [[ ! -f report/node_modules/.package-lock.json ||
      report/package-lock.json -nt report/node_modules/.package-lock.json ]]; then
  echo "install-deps: npm ci in report/" >&2
  (cd report && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
fi
