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

# shellcheck source=Tests/interop/runner.sh
source "$repo_root/Tests/interop/runner.sh"
tn_run_test_files interop "${test_files[@]}"
