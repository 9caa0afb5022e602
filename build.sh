#!/usr/bin/env bash
# FastTotem build entry point.
#   ./build.sh          restore, build Release, publish the CLI as out/fasttotem
#   ./build.sh test     install test prerequisites, run every test project, print "N passed, N failed, N skipped"
#   ./build.sh bench    run the BenchmarkDotNet suite (pass a filter: ./build.sh bench '*Codec*')
#   ./build.sh native   build the C programs in native/ into out/native/
#   ./build.sh fuzz     the long decoder fuzz run (10,000,000 inputs)
#   ./build.sh bench-compare   build, then fasttotem bench --compare: FastTotem vs corosync vs raw UDP into bench/results/
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages the tests need. Installed only when missing, so repeated runs cost nothing.
TEST_PACKAGES=(corosync libcpg-dev nftables iproute2)

install_prereqs() {
  [ ${#TEST_PACKAGES[@]} -eq 0 ] && return 0
  local missing=()
  for p in "${TEST_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "build.sh: missing packages ${missing[*]} (run as root to install them)" >&2
    [ "${CI:-}" = "true" ] && return 1
    return 0
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# native/ C programs against the real libcpg (needs libcpg-dev; skipped with a note when it is missing).
build_native() {
  mkdir -p out/native
  # libfasttotem.so: the C ABI, published with NativeAOT; then the C programs that use it.
  dotnet publish src/FastTotem.Native/FastTotem.Native.csproj -c Release -o out/native/lib -v quiet -nologo
  gcc -O2 -Wall -Wextra -Werror -Inative/include -o out/native/test_api native/tests/test_api.c \
    -Lout/native/lib -lfasttotem -Wl,-rpath,'$ORIGIN/lib'
  gcc -O2 -Wall -Wextra -Werror -Inative/include -o out/native/ftecho native/examples/ftecho.c \
    -Lout/native/lib -lfasttotem -Wl,-rpath,'$ORIGIN/lib'
  gcc -O2 -Wall -Wextra -Werror -Inative/include -o out/native/ftlatency native/examples/ftlatency.c \
    -Lout/native/lib -lfasttotem -Wl,-rpath,'$ORIGIN/lib'
  if [ -f /usr/include/corosync/cpg.h ]; then
    gcc -O2 -Wall -Wextra -Werror -o out/native/cpgprobe native/cpgprobe.c -lcpg
    gcc -O2 -Wall -Wextra -Werror -o out/native/cpgchat native/cpgchat.c -lcpg
  else
    echo "build.sh: libcpg-dev is missing, native/cpgprobe not built" >&2
  fi
}

build() {
  build_native
  dotnet build FastTotem.sln -c Release -v quiet -nologo
  dotnet publish src/FastTotem.Cli/FastTotem.Cli.csproj -c Release -o out --no-build -v quiet -nologo
  ln -sf FastTotem.Cli out/fasttotem
}

run_tests() {
  install_prereqs
  build   # the interop tests run out/fasttotem and out/native/cpgprobe
  local log
  log=$(mktemp)
  set +e
  # "minimal" prints each failure's message and stack under the per-project summary line.
  dotnet test FastTotem.sln -c Release --no-build -v quiet -nologo --logger "console;verbosity=minimal" "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  # The C API test against libfasttotem.so ends with its own "N passed, N failed" line.
  set +e
  ./out/native/test_api 2>&1 | tee -a "$log" | tail -n 3
  local c_rc=${PIPESTATUS[0]}
  set -e
  [ "$c_rc" -eq 0 ] || rc=1
  # Sum the per-project summaries ("Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12").
  local sums
  sums=$(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/' \
    | awk '{f+=$1; p+=$2; s+=$3} END {printf "%d %d %d", p, f, s}')
  local projects
  projects=$(grep -cE '^(Passed|Failed)!' "$log" || true)
  read -r passed failed skipped <<<"$sums"
  local c_line
  c_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
  if [ -n "$c_line" ]; then
    passed=$((passed + $(echo "$c_line" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$c_line" | cut -d' ' -f3)))
  else
    failed=$((failed + 1))
    echo "build.sh: the C API test printed no summary" >&2
  fi
  # CI keeps only the end of the output: repeat each failed test's name and message just above the summary.
  awk '/^  Failed / { grab = 1; lines = 0; shown++ }
       /^  Stack Trace:/ { grab = 0 }
       grab && shown <= 5 && lines++ < 12 { print substr($0, 1, 240) }' "$log"
  rm -f "$log"
  # A project that crashed prints no summary: count it as a failure rather than hide it.
  local expected
  expected=$(ls tests/*/*.csproj | wc -l)
  if [ "$projects" -lt "$expected" ]; then
    failed=$((failed + expected - projects))
    echo "build.sh: only $projects of $expected test projects reported a summary" >&2
  fi
  echo "${passed} passed, ${failed} failed, ${skipped} skipped"
  [ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
}

case "${1:-build}" in
  build) build ;;
  native) build_native ;;
  test) shift; run_tests "$@" ;;
  bench) shift; dotnet run -c Release --project bench/FastTotem.Benchmarks -- --filter "${1:-*}" "${@:2}" ;;
  bench-compare) shift; install_prereqs; build; ./out/fasttotem bench --compare "$@" ;;
  fuzz) shift; dotnet run -c Release --project bench/FastTotem.Benchmarks -- fuzz "${1:-10000000}" ;;
  *) echo "usage: ./build.sh [build|test|bench|bench-compare|fuzz]" >&2; exit 2 ;;
esac
