#!/usr/bin/env bash
#
# Runs `swift test` (debug build) and fails unless at least one test ran and none was skipped:
# `swift test` exits 0 when a package has test targets without tests, and counts skipped tests
# as passing. Extra arguments go to `swift test`.

set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
if ! command -v swift >/dev/null; then
    export PATH=$PATH:/opt/swift/usr/bin
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
swift test "$@" 2>&1 | tee "$log" || status=$?

# XCTest closes with "Executed N tests, with K tests skipped and F failures ..." for all suites
# (the last such line). Swift Testing closes with "Test run with N tests ..." and prints one
# "Test NAME skipped" line per skipped test.
xctest_run=$(grep -oE 'Executed [0-9]+ tests?' "$log" | tail -n 1 | grep -oE '[0-9]+' || true)
xctest_skipped=$(grep -E 'Executed [0-9]+ tests?' "$log" | tail -n 1 |
    grep -oE '[0-9]+ tests? skipped' | grep -oE '[0-9]+' || true)
testing_run=$(grep -oE 'Test run with [0-9]+ tests?' "$log" | tail -n 1 | grep -oE '[0-9]+' || true)
testing_skipped=$(LC_ALL=C grep -cE '^[^[:alnum:][:space:]/]+ Test .+ skipped' "$log" || true)

xctest_run=${xctest_run:-0}
xctest_skipped=${xctest_skipped:-0}
testing_run=${testing_run:-0}
total=$((xctest_run + testing_run))
skipped=$((xctest_skipped + testing_skipped))

echo "swift-test: XCTest ran $xctest_run tests ($xctest_skipped skipped)," \
    "Swift Testing ran $testing_run tests ($testing_skipped skipped)"

if [[ $status != 0 ]]; then
    echo "swift-test: swift test failed with status $status"
    exit 1
fi
if [[ $total == 0 ]]; then
    echo "swift-test: swift test ran no tests; the unit test targets are empty"
    exit 1
fi
if [[ $skipped != 0 ]]; then
    echo "swift-test: $skipped unit tests were skipped; a skipped test has not passed"
    exit 1
fi
