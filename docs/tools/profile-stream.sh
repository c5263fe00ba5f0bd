#!/usr/bin/env bash
# Profiles the background stream of one 2 GiB migration (docs/performance.md): a system-wide perf
# recording (cpu-clock, frame pointers, JIT symbols from each JVM's perf map), then the share of
# each category of work on the destination's and the source's background event loop threads.
# usage: [PROFILE_JAVA_OPTS=...] docs/tools/profile-stream.sh OUT_PREFIX [JAR]   (needs perf; run from the repository root)
# PROFILE_JAVA_OPTS go to both migration JVMs after their own options (-XX:TieredStopAtLevel=4 restores C2).
set -euo pipefail
out=${1:?usage: profile-stream.sh OUT_PREFIX [JAR]}
jar=${2:-cli/target/postcopy-sim.jar}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
perf record -e cpu-clock -F 999 -a -g -o "$out.data" 2>/dev/null &
recorder=$!
sleep 0.5
JAVA_OPTS="${PROFILE_JAVA_OPTS:-} -XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit" \
  java -jar "$jar" demo --guest-mem 2G --vcpus 1 --workload sequential --access-rate 1000 --max-bandwidth 0 --seed 1 \
  | grep -E "VERIFIED|FAILED"
kill -INT "$recorder"
wait "$recorder" || true
# The destination's stream loop is dest-bg-*; the source's, the second of its two event loops.
perf script -i "$out.data" -F comm,tid,ip,sym 2>/dev/null | python3 "$here/perf_categories.py" '^(dest-bg-[0-9]+-1|source-io-3-2)'
