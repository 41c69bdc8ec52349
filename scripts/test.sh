#!/bin/bash
# The test command of README.md: installs dependencies, builds from scratch and
# runs the whole suite (unit + integration against real PostgreSQL 15) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
build_done=$(date +%s)
echo "build took $((build_done - start)) s"
ctest --test-dir build --output-on-failure --timeout 900
echo "tests took $(( $(date +%s) - build_done )) s"
