#!/usr/bin/env bash
#
# Two nodes on one veth pair, every pairing of upstream tincd and ours. Node a has "ConnectTo = b",
# so the first binary named is the one that connects. b starts first, so a's first attempt works.
# Checks pings both ways across the VPN and a short iperf3 TCP stream in each direction.

# The case functions run only through tn_case, which shellcheck cannot follow.
# shellcheck disable=SC2317
# shellcheck source=Tests/interop/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

two_nodes() {
    local binary_a=$1 binary_b=$2

    tn_node a "$binary_a"
    tn_node b "$binary_b"
    tn_link a b
    tn_connect a b
    tn_configure
    tn_start b
    tn_start a

    tn_wait_ping a b 30
    tn_expect_ping a b
    tn_expect_ping b a
    tn_iperf a b 3
    tn_iperf a b 3 -R
}

tn_case "two nodes: upstream connects to upstream (harness check)" two_nodes "$TINCD_UPSTREAM" "$TINCD_UPSTREAM"
tn_case "two nodes: ours connects to upstream" two_nodes "$TINCD_OURS" "$TINCD_UPSTREAM"
tn_case "two nodes: upstream connects to ours" two_nodes "$TINCD_UPSTREAM" "$TINCD_OURS"
tn_case "two nodes: ours connects to ours" two_nodes "$TINCD_OURS" "$TINCD_OURS"
tn_finish
