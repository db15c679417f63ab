#!/usr/bin/env bash
# Builds the benchmarks (label `bench`), runs them, and writes their output with the machine
# description to tests/bench/RESULTS.md. A new build dir is configured as Release; an existing
# one (e.g. the Quick start's `build`, RelWithDebInfo = -O2) is used as it is. Each benchmark
# prints its own medians and ratios against a baseline measured in the same process, and fails if it misses its target.
#   tests/bench/run.sh [build-dir]     (default: build)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 1
fi
cmake --build "$build" || exit 1
out=$root/tests/bench/RESULTS.md
tmp=$(mktemp)
{
  echo "# Benchmark results"
  echo
  echo "Written by \`tests/bench/run.sh\` on $(date -u +%Y-%m-%d) (UTC)."
  echo
  echo "- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME"); compiler: $(c++ --version | head -1)"
  echo "- build: $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt"); command: \`tests/bench/run.sh\`"
  echo
} > "$tmp"
status=0
for t in $(ctest --test-dir "$build" -L bench -N | awk '/Test +#/ {print $3}'); do
  echo "running $t" >&2
  log=$(mktemp)
  if ctest --test-dir "$build" -R "^$t\$" --output-on-failure -V > "$log" 2>&1; then r=passed; else r=FAILED; status=1; fi
  {
    echo "## $t ($r)"
    echo
    echo '```'
    # The benchmark's own lines, without CTest's framing.
    sed -n 's/^[0-9]*: //p' "$log" | grep -v -E '^(Test command|Working Directory|Environment variables|Test timeout|QStandardPaths| QT_QPA_PLATFORM=| FMW_SHARED_DIR=)|propagateSizeHints'
    echo '```'
    echo
  } >> "$tmp"
  rm -f "$log"
done
mv "$tmp" "$out" && chmod 644 "$out"
echo "wrote $out" >&2
exit $status
