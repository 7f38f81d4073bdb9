#!/usr/bin/env bash
# Installs every Debian package that building, testing and running ct-mapreduce
# needs. Idempotent, and silent when everything is already there.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev clang-format clang-tidy
  # libraries the user chose
  libssl-dev openssl libprotobuf-dev protobuf-compiler libzmq3-dev cppzmq-dev
  libcurl4-openssl-dev zlib1g-dev libpsl-dev publicsuffix libgoogle-glog-dev libgtest-dev libgmock-dev
  # libraries we chose (README: "Dependencies")
  libabsl-dev nlohmann-json3-dev libcli11-dev libxxhash-dev libbenchmark-dev
  prometheus-cpp-dev libcivetweb-dev
  # tests and benchmarks
  python3 time procps curl iproute2
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root to install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
