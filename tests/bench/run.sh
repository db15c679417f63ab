#!/usr/bin/env bash
# Builds the benchmarks (label `bench`), runs them, and writes their output with the machine
# description to tests/bench/RESULTS.md. A new build dir is configured as Release; an existing
# one (e.g. the Quick start's `build`, RelWithDebInfo = -O2) is used as it is. Each benchmark
# prints its own medians and ratios against a baseline measured in the same process, and fails if it misses its target.
#   tests/bench/run.sh [build-dir] [benchmark ...]     (default: build, all benchmarks)
# Naming benchmarks runs only those (a full run takes about an hour) and replaces only their
# sections of RESULTS.md; each such section says when and how it was run.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
shift $(( $# > 0 ? 1 : 0 ))
only=("$@")
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 1
fi
if [ ${#only[@]} -gt 0 ]; then
  cmake --build "$build" --target "${only[@]}" || exit 1
else
  cmake --build "$build" || exit 1
fi
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
if [ ${#only[@]} -gt 0 ]; then
  names=("${only[@]}")
else
  mapfile -t names < <(ctest --test-dir "$build" -L bench -N | awk '/Test +#/ {print $3}')
fi
for t in "${names[@]}"; do
  echo "running $t" >&2
  log=$(mktemp)
  if ctest --test-dir "$build" -R "^$t\$" --output-on-failure -V > "$log" 2>&1; then r=passed; else r=FAILED; status=1; fi
  {
    echo "## $t ($r)"
    echo
    if [ ${#only[@]} -gt 0 ]; then
      echo "Run on $(date -u +%Y-%m-%d) (UTC), build $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt"), command: \`tests/bench/run.sh BUILD ${only[*]}\`."
      echo
    fi
    echo '```'
    # The benchmark's own lines, without CTest's framing.
    sed -n 's/^[0-9]*: //p' "$log" | grep -v -E '^(Test command|Working Directory|Environment variables|Test timeout|QStandardPaths| QT_QPA_PLATFORM=| FMW_SHARED_DIR=)|propagateSizeHints'
    echo '```'
    echo
  } >> "$tmp"
  rm -f "$log"
done
if [ ${#only[@]} -gt 0 ] && [ -f "$out" ]; then
  # Keep RESULTS.md's header and other sections; replace (or append) the sections just run.
  merged=$(mktemp)
  awk -v fresh="$tmp" '
    BEGIN { while ((getline line < fresh) > 0) { if (line ~ /^## /) { split(line, w, " "); cur = w[2]; order[++n] = cur }
                                                   if (cur != "") sec[cur] = sec[cur] line "\n" } }
    /^## / { split($0, w, " "); name = w[2]; skip = (name in sec); if (skip) done[name] = 1; if (skip) printf "%s", sec[name] }
    !skip { print }
    END { for (i = 1; i <= n; i++) if (!(order[i] in done)) printf "%s", sec[order[i]] }
  ' "$out" > "$merged"
  mv "$merged" "$tmp"
fi
mv "$tmp" "$out" && chmod 644 "$out"
echo "wrote $out" >&2
exit $status
