#!/usr/bin/env bash
#
# Three nodes in a line, a - b - c: two separate veth links, so a and c reach only b on the
# underlay. a and c both have "ConnectTo = b", so their packets must travel through b's tincd.

# The case functions run only through tn_case, which shellcheck cannot follow.
# shellcheck disable=SC2317
# shellcheck source=Tests/interop/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

three_node_line() {
    local binary_ends=$1 binary_middle=$2

    tn_node a "$binary_ends"
    tn_node b "$binary_middle"
    tn_node c "$binary_ends"
    tn_link a b
    tn_link b c
    tn_connect a b
    tn_connect c b
    tn_configure

    # The underlay must not connect a and c, or the test would not prove relaying through b.
    ip netns exec "${TN_NS[b]}" sysctl -qw net.ipv4.ip_forward=0
    if ip netns exec "${TN_NS[a]}" ping -n -q -c 1 -W 1 "${TN_ADDR[c|b]}" >/dev/null 2>&1; then
        tn_fail "a reaches c's underlay address ${TN_ADDR[c|b]}; the test network is wrong"
    fi

    tn_start b
    tn_start a
    tn_start c

    tn_wait_ping a c 30
    tn_expect_ping a c
    tn_expect_ping c a
    tn_expect_ping a b
    tn_expect_ping c b
}

tn_case "line a-b-c: all upstream (harness check)" three_node_line "$TINCD_UPSTREAM" "$TINCD_UPSTREAM"
tn_case "line a-b-c: ours in the middle, upstream at the ends" three_node_line "$TINCD_UPSTREAM" "$TINCD_OURS"
tn_case "line a-b-c: upstream in the middle, ours at the ends" three_node_line "$TINCD_OURS" "$TINCD_UPSTREAM"
tn_finish
