# shellcheck shell=bash
#
# The loop shared by Tests/interop/run.sh and Tests/automatic/run.sh: runs test files one after
# another, counts their PASS, FAIL and SKIP lines, and prints the total as the last line:
# "N passed, N failed", with ", N skipped" when cases were skipped.
#
# tn_run_test_files LABEL FILE...: returns non-zero if any case failed or was skipped, if a test
# file exited non-zero without reporting a failed case, or if no case ran at all. A skipped case
# has not passed, so it never counts as success. Exits with 130 when a file was interrupted.
tn_run_test_files() {
    local label=$1
    shift

    local passed=0 failed=0 skipped=0 status test_file
    local file_passed file_failed file_skipped
    local output
    output=$(mktemp)

    for test_file in "$@"; do
        echo "=== ${test_file##*/}"
        status=0
        bash "$test_file" 2>&1 | tee "$output" || status=$?
        if [[ $status == 130 ]]; then
            echo "$label: interrupted during ${test_file##*/}"
            rm -f "$output"
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
    rm -f "$output"

    if [[ $((passed + failed + skipped)) == 0 ]]; then
        echo "$label: no test files found"
        failed=1
    fi

    local summary="$passed passed, $failed failed"
    if [[ $skipped != 0 ]]; then
        summary+=", $skipped skipped"
    fi
    echo "$summary"

    [[ $failed == 0 && $skipped == 0 ]]
}
