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

# shellcheck source=Tests/interop/runner.sh
source "$repo_root/Tests/interop/runner.sh"
tn_run_test_files automatic "${test_files[@]}"
