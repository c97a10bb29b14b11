#!/usr/bin/env bash
#
# Runs the interop test files (all Tests/interop/test_*.sh, or the ones named as arguments) one
# after another and prints the total as the last line: "N passed, N failed" and ", N skipped"
# when cases were skipped. Exits non-zero if any case failed or was skipped, if a test file
# exited non-zero without reporting a failed case, or if no case ran at all. A skipped case has
# not passed, so it never counts as success.
#
# Needs root (network namespaces). Our binary is $TINCD_OURS, by default .build/release/tincd.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$here/../.." && pwd)
export TINCD_OURS=${TINCD_OURS:-$repo_root/.build/release/tincd}
export TINCD_UPSTREAM=${TINCD_UPSTREAM:-/usr/sbin/tincd}

if [[ $# -gt 0 ]]; then
    test_files=("$@")
else
    test_files=("$here"/test_*.sh)
fi

echo "interop: our tincd:      $TINCD_OURS"
echo "interop: upstream tincd: $TINCD_UPSTREAM ($("$TINCD_UPSTREAM" --version 2>/dev/null | head -n 1))"
if [[ ! -x $TINCD_OURS ]]; then
    echo "interop: our tincd is missing; every case that uses it will fail"
fi
if [[ -n ${TN_FILTER:-} ]]; then
    echo "interop: TN_FILTER=$TN_FILTER is set; cases it does not select count as skipped"
fi

passed=0
failed=0
skipped=0
output=$(mktemp)
trap 'rm -f "$output"' EXIT

for test_file in "${test_files[@]}"; do
    echo "=== ${test_file##*/}"
    status=0
    bash "$test_file" 2>&1 | tee "$output" || status=$?
    if [[ $status == 130 ]]; then
        echo "interop: interrupted during ${test_file##*/}"
        exit 130
    fi

    file_passed=$(grep -c '^PASS: ' "$output")
    file_failed=$(grep -c '^FAIL: ' "$output")
    file_skipped=$(grep -c '^SKIP: ' "$output")

    # A test file that crashed, or ran no case, has not passed even if it printed no FAIL line.
    if [[ $status != 0 && $file_failed == 0 && $file_skipped == 0 ]]; then
        echo "FAIL: ${test_file##*/} exited with status $status without reporting a failed case"
        file_failed=1
    fi
    if [[ $((file_passed + file_failed + file_skipped)) == 0 ]]; then
        echo "FAIL: ${test_file##*/} ran no test case"
        file_failed=1
    fi

    passed=$((passed + file_passed))
    failed=$((failed + file_failed))
    skipped=$((skipped + file_skipped))
done

if [[ $((passed + failed + skipped)) == 0 ]]; then
    echo "interop: no test files found"
    failed=1
fi

summary="$passed passed, $failed failed"
if [[ $skipped != 0 ]]; then
    summary+=", $skipped skipped"
fi
echo "$summary"

if [[ $failed != 0 || $skipped != 0 ]]; then
    exit 1
fi
exit 0
