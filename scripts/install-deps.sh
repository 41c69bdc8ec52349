#!/bin/bash
# Installs what pgha needs to build and test on Debian 12 (run as root).
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config libpq-dev libboost-program-options-dev libboost-dev
          libfmt-dev libtomlplusplus-dev catch2 nlohmann-json3-dev postgresql-15 postgresql-client-15
          libssl-dev python3 iproute2 iputils-ping nftables
          # the Debian package (scripts/package.sh) and its test: dpkg-shlibdeps and
          # file for CPack, lintian, man -l, systemd-analyze verify
          dpkg-dev file lintian man-db systemd
          # /metrics through promtool, the dashboard through a real Prometheus (test_metrics)
          prometheus
          # the front door of the sample conf/haproxy.cfg, run by test_haproxy
          haproxy)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
