#!/usr/bin/env bash
#
# A peer killed with SIGKILL and started again must be reachable again within a bounded time.
# Node a has "ConnectTo = b". When b dies, a has to notice the closed meta connection and retry
# (upstream retries after 5 s, then backs off). When a dies, b has to accept a's new connection
# and forget the state of the old one.

# The case functions run only through tn_case, which shellcheck cannot follow.
# shellcheck disable=SC2317
# shellcheck source=Tests/interop/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RECONNECT_TIMEOUT=60

kill_and_restart() {
    local binary_a=$1 binary_b=$2 victim=$3
    local survivor=a
    if [[ $victim == a ]]; then
        survivor=b
    fi

    tn_node a "$binary_a"
    tn_node b "$binary_b"
    tn_link a b
    tn_connect a b
    tn_configure
    tn_start b
    tn_start a
    tn_wait_ping a b 30
    tn_expect_ping b a

    tn_kill9 "$victim"
    tn_info "killed $victim with SIGKILL"
    tn_expect_no_ping "$survivor" "$victim" "tincd on $victim was killed"

    tn_start "$victim"
    tn_info "restarted $victim"
    tn_wait_ping "$survivor" "$victim" "$RECONNECT_TIMEOUT"
    tn_expect_ping a b
    tn_expect_ping b a
    if [[ -z $(tn_meta_port a b) ]]; then
        tn_fail "pings work but a has no meta connection to b"
    fi
}

tn_case "kill -9 and restart: upstream b, upstream a reconnects (harness check)" kill_and_restart "$TINCD_UPSTREAM" "$TINCD_UPSTREAM" b
tn_case "kill -9 and restart: upstream b, ours reconnects" kill_and_restart "$TINCD_OURS" "$TINCD_UPSTREAM" b
tn_case "kill -9 and restart: ours connecting, upstream accepts again" kill_and_restart "$TINCD_OURS" "$TINCD_UPSTREAM" a
tn_case "kill -9 and restart: upstream connecting, ours accepts again" kill_and_restart "$TINCD_UPSTREAM" "$TINCD_OURS" a
tn_case "kill -9 and restart: ours b, upstream reconnects" kill_and_restart "$TINCD_UPSTREAM" "$TINCD_OURS" b
tn_finish
