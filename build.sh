#!/usr/bin/env bash
# FastTotem build entry point.
#   ./build.sh          restore, build Release, publish the CLI as out/fasttotem and the tooling as out/fasttotem-lab
#   ./build.sh test     install test prerequisites, run every test project, print "N passed, N failed, N skipped"
#   ./build.sh bench    run the BenchmarkDotNet suite (pass a filter: ./build.sh bench '*Codec*')
#   ./build.sh native   build the C programs in native/ into out/native/
#   ./build.sh pack [VERSION]   NuGet packages into out/packages: FastTotem (+ .snupkg), FastTotem.Extensions.Hosting,
#                       FastTotem.Native (libfasttotem.so + fasttotem.h); VERSION defaults to 0.1.0
#   ./build.sh fuzz [TARGET|all] [SECONDS]   coverage-guided fuzzing (SharpFuzz + AFL++) of one target or all,
#                       SECONDS each (default 600); targets datagram, engine, capture, capi, knet (docs/fuzzing.md);
#                       FUZZ_EXECS=N stops at about N executions, FUZZ_RESUME=1 continues the target's last campaign,
#                       FUZZ_JOBS=N runs N afl-fuzz instances on the target (executions summed, FUZZ_EXECS is the sum)
#   ./build.sh fuzz random [N]   the seeded random decoder fuzz run (10,000,000 inputs by default)
#   ./build.sh bench-compare   build, then fasttotem bench --compare: FastTotem vs corosync vs raw UDP into bench/results/
#   ./build.sh sweep N [FIRST_SEED] [--parallel P] [--nodes-max M] [--duration D] [--stack full|srp]
#                       N simulator seeds of the whole node stack with every fault on (docs/simulator.md): seeds/s,
#                       violations, and the `fasttotem sim` command replaying each failure
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
  # The tooling verbs (sim, bench and the bench's node programs): `fasttotem sim|bench ...` runs this program.
  dotnet publish src/FastTotem.Lab/FastTotem.Lab.csproj -c Release -o out --no-build -v quiet -nologo
  ln -sf FastTotem.Lab out/fasttotem-lab
}

# NuGet packages (README "Packages"): the library and its hosting integration with XML docs and symbols, and the
# NativeAOT C ABI with its header for C hosts.
pack() {
  local version=${1:-0.1.0}
  rm -rf out/packages && mkdir -p out/packages out/native/lib
  dotnet pack src/FastTotem/FastTotem.csproj -c Release -o out/packages -p:PackageVersion="$version" -v quiet -nologo
  dotnet pack src/FastTotem.Extensions.Hosting/FastTotem.Extensions.Hosting.csproj -c Release -o out/packages \
    -p:PackageVersion="$version" -v quiet -nologo
  dotnet publish src/FastTotem.Native/FastTotem.Native.csproj -c Release -o out/native/lib -v quiet -nologo
  dotnet pack native/package/FastTotem.Native.Package.csproj -c Release -o out/packages -p:PackageVersion="$version" \
    -p:NativeLibDir="$PWD/out/native/lib/" -v quiet -nologo
  ls -1 out/packages
}

run_tests() {
  install_prereqs
  build   # the interop tests run out/fasttotem and out/native/cpgprobe
  local log
  log=$(mktemp)
  set +e
  # "minimal" prints each failure's message and stack under the per-project summary line.
  # The simulator's fresh seeds (FreshSeedTests) are new on every run: say which ones ran.
  export FASTTOTEM_SIM_SEEDS_FILE="$PWD/out/sim-fresh-seeds.txt"
  mkdir -p out && rm -f "$FASTTOTEM_SIM_SEEDS_FILE"
  dotnet test FastTotem.sln -c Release --no-build -v quiet -nologo --logger "console;verbosity=minimal" "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  [ -f "$FASTTOTEM_SIM_SEEDS_FILE" ] && cat "$FASTTOTEM_SIM_SEEDS_FILE"
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

# Coverage-guided fuzzing (docs/fuzzing.md): AFL++ from Debian, SharpFuzz's instrumenter as a local dotnet tool
# (dotnet-tools.json). The runner is built into out/fuzz/bin and its FastTotem assemblies instrumented there, so the
# normal build is never touched. Findings go to out/fuzz/findings/TARGET; the corpus grows in fuzz/corpus/TARGET.
FUZZ_TARGETS=(datagram engine capture capi knet)

install_fuzz_toolchain() {
  if ! command -v afl-fuzz >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "build.sh: afl-fuzz is missing (apt-get install afl++ as root)" >&2
      return 1
    fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
  fi
  dotnet tool restore >/dev/null
}

build_fuzz_runner() {
  rm -rf out/fuzz/bin
  dotnet build fuzz/FastTotem.Fuzz/FastTotem.Fuzz.csproj -c Release -o out/fuzz/bin -v quiet -nologo
  # In place: the branches of the code under test report to AFL++'s shared map.
  dotnet sharpfuzz out/fuzz/bin/FastTotem.dll >/dev/null
  dotnet sharpfuzz out/fuzz/bin/libfasttotem.dll >/dev/null
  dotnet sharpfuzz out/fuzz/bin/FastTotem.Capture.dll >/dev/null
}

fuzz_target() {
  local target=$1 seconds=$2
  local corpus=fuzz/corpus/$target findings=out/fuzz/findings/$target
  mkdir -p "$corpus"
  if [ -z "$(ls -A "$corpus")" ]; then
    dotnet out/fuzz/bin/FastTotem.Fuzz.dll seed "$target" "$corpus" tests/fixtures/corosync-3.1.7
  fi
  local stats=$findings/default/fuzzer_stats
  # FUZZ_RESUME=1 continues the target's last campaign in place (afl-fuzz -i -): AFL++ reads execs_done and
  # run_time back from its fuzzer_stats, so the counts (and FUZZ_EXECS) are cumulative over the runs.
  local input=$corpus resumed=0 before_execs=0 before_time=0
  if [ -n "${FUZZ_RESUME:-}" ] && [ -f "$stats" ]; then
    input=-
    resumed=1
    before_execs=$(awk -F' *: ' '$1=="execs_done"{print $2}' "$stats")
    before_time=$(awk -F' *: ' '$1=="run_time"{print $2}' "$stats")
    mv "$findings/afl.log" "$findings/afl.log.$(date +%s)" 2>/dev/null || true
  else
    rm -rf "$findings"
    mkdir -p "$findings"
  fi
  # FUZZ_EXECS=N also stops the run after about N executions (whichever comes first).
  local limit=(-V "$seconds")
  [ -n "${FUZZ_EXECS:-}" ] && limit+=(-E "$FUZZ_EXECS")
  echo "build.sh: fuzzing $target for $seconds s${FUZZ_EXECS:+ or $FUZZ_EXECS executions}$([ "$resumed" = 1 ] && echo ", resuming at $before_execs executions") (findings in $findings)"
  # AFL's own screen is off (its output goes to afl.log): on a terminal, the runner's watch verb shows a progress line
  # from fuzzer_stats instead (with stderr piped it prints nothing and exits at once).
  nice -n 19 dotnet out/fuzz/bin/FastTotem.Fuzz.dll watch "$target" "$findings/default/fuzzer_stats" "$seconds" &
  local watcher=$!
  # FUZZ_JOBS=N runs N afl-fuzz instances on the one findings directory (a main, "default", and secondaries job2..jobN
  # that share their finds through it): the campaign's executions are the sum over the instances. FUZZ_EXECS then
  # stops them all once that sum reaches it (a watcher below), not each at FUZZ_EXECS/N: the instances do not run
  # equally fast (the main also syncs), and a fixed share left the first one done idling a core while the slowest
  # ran into the time limit. Without FUZZ_JOBS, one instance as before.
  local jobs=${FUZZ_JOBS:-1} job pids=()
  if [ "$jobs" -gt 1 ]; then
    limit=(-V "$seconds")
  fi
  for job in $(seq 1 "$jobs"); do
    local role=()
    if [ "$jobs" -gt 1 ]; then
      if [ "$job" = 1 ]; then role=(-M default); else role=(-S "job$job"); fi
    fi
    # The machine is shared: lowest priority, no CPU binding. dotnet starts slowly, hence the long fork server wait.
    AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
      AFL_FORKSRV_INIT_TMOUT=120000 \
      nice -n 19 afl-fuzz "${role[@]}" "${limit[@]}" -i "$input" -o "$findings" -t 20000 -m none \
      -- dotnet out/fuzz/bin/FastTotem.Fuzz.dll "$target" >"$findings/afl$([ "$job" = 1 ] || echo "-job$job").log" 2>&1 &
    pids+=($!)
  done
  local stopper=
  if [ "$jobs" -gt 1 ] && [ -n "${FUZZ_EXECS:-}" ]; then
    # afl-fuzz rewrites fuzzer_stats about once a minute (and on exit), so the stop comes up to a minute late;
    # execs_done is cumulative over resumed runs, as FUZZ_EXECS is. SIGINT is afl-fuzz's own clean stop.
    ( while sleep 5; do
        done_execs=$(cat "$findings"/*/fuzzer_stats 2>/dev/null | awk -F' *: ' '$1=="execs_done"{e+=$2} END{print e+0}')
        if [ "$done_execs" -ge "$FUZZ_EXECS" ]; then kill -INT "${pids[@]}" 2>/dev/null; break; fi
      done ) &
    stopper=$!
  fi
  wait "${pids[@]}" 2>/dev/null || true
  [ -n "$stopper" ] && { kill "$stopper" 2>/dev/null; wait "$stopper" 2>/dev/null; } || true
  kill "$watcher" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  if [ ! -f "$stats" ]; then
    echo "build.sh: afl-fuzz did not start for $target; see $findings/afl.log" >&2
    tail -n 20 "$findings/afl.log" >&2
    return 1
  fi
  fuzz_minimize "$target" "$findings"/*/queue
  # A resumed run moves the earlier runs' crashes and hangs to crashes.DATE and hangs.DATE: all of them count, in
  # every instance's directory.
  local crashes hangs
  crashes=$(ls "$findings"/*/crashes* 2>/dev/null | grep -c '^id' || true)
  hangs=$(ls "$findings"/*/hangs* 2>/dev/null | grep -c '^id' || true)
  # With FUZZ_JOBS the executions and execs/s are summed over the instances; time, edges and corpus are the main's
  # (it syncs the secondaries' finds). before_execs is the main's alone, so "this run" is exact only for one instance.
  awk -v t="$target" -v c="$crashes" -v h="$hangs" -v be="$before_execs" -v bt="$before_time" -v r="$resumed" -v j="$jobs" -F' *: ' \
    'FILENAME ~ /\/default\// {v[$1]=$2} $1=="execs_done"{e+=$2} $1=="execs_per_sec"{s+=$2}
     END {printf "%s: %s execs in %s s (%.2f/s), %s edges, corpus %s, %s crashes, %s hangs", t, e, v["run_time"], s, v["edges_found"], v["corpus_count"], c, h;
      if (j > 1) printf " (%d instances)", j;
      if (r == 1) printf " (cumulative; this run %d execs in %d s)", e - be, v["run_time"] - bt; printf "\n"}' "$findings"/*/fuzzer_stats \
    | tee -a out/fuzz/summary.txt
  [ "$crashes" -eq 0 ] && [ "$hangs" -eq 0 ]
}

# The kept corpus becomes afl-cmin's smallest set of files with the coverage of (kept corpus + new queue entries),
# each file named by its content hash so reruns do not rename what they keep.
fuzz_minimize() {
  local target=$1
  shift
  local corpus=fuzz/corpus/$target work=out/fuzz/cmin-$target queue f
  rm -rf "$work" && mkdir -p "$work/in"
  cp "$corpus"/* "$work/in"/ 2>/dev/null || true
  for queue in "$@"; do
    for f in "$queue"/id:*; do [ -f "$f" ] && cp "$f" "$work/in/q-$(sha1sum "$f" | cut -c1-16)"; done
  done
  AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_FORKSRV_INIT_TMOUT=120000 \
    nice -n 19 afl-cmin -i "$work/in" -o "$work/out" -t 20000 -m none \
    -- "$(command -v dotnet)" out/fuzz/bin/FastTotem.Fuzz.dll "$target" >"$work/cmin.log" 2>&1 || {
      echo "build.sh: afl-cmin failed for $target, corpus left as it was; see $work/cmin.log" >&2
      return 0
    }
  rm -f "$corpus"/*
  for f in "$work"/out/*; do cp "$f" "$corpus/$(sha1sum "$f" | cut -c1-16)"; done
  echo "build.sh: $target corpus: $(ls "$corpus" | wc -l) files, $(du -sk "$corpus" | cut -f1) KiB"
}

run_fuzz() {
  local what=${1:-all}
  if [ "$what" = random ] || [[ "$what" =~ ^[0-9]+$ ]]; then
    [ "$what" = random ] && shift
    dotnet run -c Release --project bench/FastTotem.Benchmarks -- fuzz "${1:-10000000}"
    return
  fi
  local seconds=${2:-600}
  local targets=("$what")
  [ "$what" = all ] && targets=("${FUZZ_TARGETS[@]}")
  install_fuzz_toolchain
  # FUZZ_REUSE_BUILD=1 keeps an instrumented runner already in out/fuzz/bin (a full build takes minutes).
  if [ -z "${FUZZ_REUSE_BUILD:-}" ] || [ ! -f out/fuzz/bin/FastTotem.Fuzz.dll ]; then
    build_fuzz_runner
  fi
  mkdir -p out/fuzz
  local rc=0
  for t in "${targets[@]}"; do
    fuzz_target "$t" "$seconds" || rc=1
  done
  return $rc
}

case "${1:-build}" in
  build) build ;;
  native) build_native ;;
  test) shift; run_tests "$@" ;;
  bench) shift; dotnet run -c Release --project bench/FastTotem.Benchmarks -- --filter "${1:-*}" "${@:2}" ;;
  pack) shift; pack "$@" ;;
  bench-compare) shift; install_prereqs; build; ./out/fasttotem bench --compare "$@" ;;
  fuzz) shift; run_fuzz "$@" ;;
  sweep) shift; [ $# -ge 1 ] || { echo "usage: ./build.sh sweep N [FIRST_SEED] [options]" >&2; exit 2; }
    dotnet run -c Release --project bench/FastTotem.Benchmarks -- sweep "$@" --all-faults ;;
  *) echo "usage: ./build.sh [build|test|pack [VERSION]|bench|bench-compare|fuzz [TARGET|all|random] [SECONDS|N]|sweep N]" >&2; exit 2 ;;
esac
