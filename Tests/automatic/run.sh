#!/usr/bin/env bash
#
# Runs the automatic-tinc system tests (all Tests/automatic/test_*.sh, or the files named as
# arguments) one after another, and prints the total as the last line: "N passed, N failed",
# with ", N skipped" when cases were skipped. Exits non-zero if any case failed or was skipped,
# if a test file exited non-zero without reporting a failed case, or if no case ran at all.
#
# Needs root (network namespaces), etcd 3.4 (Debian etcd-server), curl, python3 and
# upstream tincd. The binary under test is $AUTOMATIC_TINC, by default
# .build/release/automatic-tinc. Each case starts its own etcd in its own switch namespace.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$here/../.." && pwd)
export AUTOMATIC_TINC=${AUTOMATIC_TINC:-$repo_root/.build/release/automatic-tinc}
export TINCD_UPSTREAM=${TINCD_UPSTREAM:-/usr/sbin/tincd}

if [[ $# -gt 0 ]]; then
    test_files=("$@")
else
    test_files=("$here"/test_*.sh)
fi

echo "automatic: automatic-tinc:  $AUTOMATIC_TINC"
echo "automatic: upstream tincd:  $TINCD_UPSTREAM ($("$TINCD_UPSTREAM" --version 2>/dev/null | head -n 1))"
echo "automatic: etcd:            $(etcd --version 2>/dev/null | head -n 1)"
if [[ ! -x $AUTOMATIC_TINC ]]; then
    echo "automatic: automatic-tinc is missing; every case that runs it will fail"
fi
if [[ -n ${TN_FILTER:-} ]]; then
    echo "automatic: TN_FILTER=$TN_FILTER is set; cases it does not select count as skipped"
fi

passed=0
failed=0
skipped=0
started=$SECONDS
output=$(mktemp)
trap 'rm -f "$output"' EXIT

for test_file in "${test_files[@]}"; do
    echo "=== ${test_file##*/}"
    status=0
    bash "$test_file" 2>&1 | tee "$output" || status=$?
    if [[ $status == 130 ]]; then
        echo "automatic: interrupted during ${test_file##*/}"
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
    echo "automatic: no test files found"
    failed=1
fi

echo "automatic: took $((SECONDS - started)) s"
summary="$passed passed, $failed failed"
if [[ $skipped != 0 ]]; then
    summary+=", $skipped skipped"
fi
echo "$summary"

if [[ $failed != 0 || $skipped != 0 ]]; then
    exit 1
fi
exit 0
