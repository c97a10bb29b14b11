#!/usr/bin/env bash
#
# Key files written by one implementation's -K and read by the other: ours must load the private
# and public keys that upstream tincd -K writes, and upstream must load the ones ours writes.

# The case functions run only through tn_case, which shellcheck cannot follow.
# shellcheck disable=SC2317
# shellcheck source=Tests/interop/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# keys_from_other_binary BINARY_A KEYGEN_A BINARY_B KEYGEN_B
keys_from_other_binary() {
    tn_node a "$1" "$2"
    tn_node b "$3" "$4"
    tn_link a b
    tn_connect a b
    tn_configure
    tn_start b
    tn_start a

    tn_wait_ping a b 30
    tn_expect_ping a b
    tn_expect_ping b a
    if [[ -z $(tn_meta_port a b) ]]; then
        tn_fail "pings work but a has no meta connection to b"
    fi
}

tn_case "keys by upstream -K, both nodes ours" keys_from_other_binary \
    "$TINCD_OURS" "$TINCD_UPSTREAM" "$TINCD_OURS" "$TINCD_UPSTREAM"
tn_case "keys by our -K, both nodes upstream" keys_from_other_binary \
    "$TINCD_UPSTREAM" "$TINCD_OURS" "$TINCD_UPSTREAM" "$TINCD_OURS"
tn_case "ours with upstream's keys connects to upstream with our keys" keys_from_other_binary \
    "$TINCD_OURS" "$TINCD_UPSTREAM" "$TINCD_UPSTREAM" "$TINCD_OURS"
tn_finish
