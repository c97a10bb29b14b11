#!/usr/bin/env bash
#
# Packet settings that differ between the two ends. Each node announces its own Cipher, Digest,
# MACLength and Compression in ANS_KEY, and the other end must use them for the packets it sends
# there: zlib and LZO, other ciphers and MAC lengths, no encryption at all, Blowfish from
# OpenSSL's legacy provider, and TCPOnly, where every packet travels over the meta connection.
#
# A node that cannot set up the other's key falls back to sending over TCP, and pings still work,
# so the cases that expect UDP also count the UDP datagrams the ping brought in.

# shellcheck disable=SC2317
# shellcheck source=Tests/interop/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Prints the number of UDP datagrams received in NAME's namespace so far.
udp_received() {
    local name=$1
    ip netns exec "${TN_NS[$name]}" awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $2 }' /proc/net/snmp
}

# expect_udp_pings FROM TO: five pings must arrive at TO over UDP, not over the meta connection.
expect_udp_pings() {
    local from=$1 to=$2 before after
    before=$(udp_received "$to")
    tn_expect_ping "$from" "$to"
    after=$(udp_received "$to")
    if ((after - before < 5)); then
        tn_fail "$to received $((after - before)) UDP datagrams during 5 pings; packets went over TCP"
    fi
    tn_info "$to received $((after - before)) UDP datagrams during 5 pings"
}

expect_no_key_errors() {
    local name
    for name in a b; do
        if grep -E "Error during initialisation|uses unknown|uses wrong keylength|uses bogus" "${TN_DIR[$name]}/tincd.log"; then
            tn_fail "$name could not use the key its peer announced"
        fi
    done
}

# settings BINARY_A BINARY_B A_LINES B_LINES UDP: a connects to b; each LINES argument is a list
# of tinc.conf lines separated by ';'. UDP=udp also checks that pings use UDP both ways.
settings() {
    local binary_a=$1 binary_b=$2 a_lines=$3 b_lines=$4 udp=$5 line

    tn_node a "$binary_a"
    tn_node b "$binary_b"
    tn_link a b
    tn_connect a b
    IFS=';' read -ra lines <<<"$a_lines"
    for line in "${lines[@]}"; do tn_conf a "$line"; done
    IFS=';' read -ra lines <<<"$b_lines"
    for line in "${lines[@]}"; do tn_conf b "$line"; done
    tn_configure
    tn_start b
    tn_start a

    tn_wait_ping a b 30
    if [[ $udp == udp ]]; then
        # PMTU discovery needs a few seconds before packets may use UDP.
        local deadline=$((SECONDS + 20)) before after
        while true; do
            before=$(udp_received b)
            tn_ping a b 3 || true
            after=$(udp_received b)
            if ((after - before >= 3)) || ((SECONDS >= deadline)); then break; fi
            sleep 1
        done
        expect_udp_pings a b
        expect_udp_pings b a
    else
        tn_expect_ping a b
        tn_expect_ping b a
    fi
    tn_iperf a b 2
    tn_iperf a b 2 -R
    expect_no_key_errors
}

tn_case "zlib 9 from upstream, sha1 and MACLength 10 from ours" settings "$TINCD_OURS" "$TINCD_UPSTREAM" \
    "Digest = sha1;MACLength = 10" "Compression = 9" udp
tn_case "LZO from ours, aes-128-cbc and MACLength 16 from upstream" settings "$TINCD_OURS" "$TINCD_UPSTREAM" \
    "Compression = 11" "Cipher = aes-128-cbc;MACLength = 16;Compression = 10" udp
tn_case "no cipher and no digest, ours and upstream" settings "$TINCD_OURS" "$TINCD_UPSTREAM" \
    "Cipher = none;Digest = none" "Cipher = none;Digest = none" udp
# Debian's tincd 1.0.36 does not load OpenSSL 3's legacy provider, so only ours can use Blowfish.
tn_case "Blowfish from the legacy provider, ours on both ends" settings "$TINCD_OURS" "$TINCD_OURS" \
    "Cipher = blowfish;Digest = sha1" "Cipher = bf-cbc" udp
tn_case "TCPOnly on ours" settings "$TINCD_OURS" "$TINCD_UPSTREAM" "TCPOnly = yes" "" tcp
tn_case "TCPOnly on upstream" settings "$TINCD_OURS" "$TINCD_UPSTREAM" "" "TCPOnly = yes" tcp
tn_finish
