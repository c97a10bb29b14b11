#!/usr/bin/env bash
#
# A mixed cluster: two automatic-tinc nodes and one upstream tincd 1.0.36 node whose files are
# made the way the original automatic-tinc shell script made them, with curl against etcd's v2
# keys API. Each side must reach the other.

# The case functions run only through at_case, which shellcheck cannot follow.
# shellcheck disable=SC2317
# shellcheck source=Tests/automatic/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# script_curl NAME ARGS...: curl in NAME's namespace, where the shell script would run.
script_curl() {
    local name=$1
    shift
    tn_run ip netns exec "${TN_NS[$name]}" curl -s --max-time 10 "$@"
}

# Claims the lowest free address of 172.16.0.0/13 for NAME: PUT addresses/N with
# prevExist=false succeeds (201) only when no node holds N yet, and fails with 412 otherwise.
# Prints the claimed address as a 32-bit number.
claim_lowest_address() {
    local name=$1 number=$((AT_SUBNET_BASE + 1)) status tries
    for ((tries = 0; tries < 64; tries++)); do
        status=$(script_curl "$name" -o /dev/null -w '%{http_code}' -X PUT \
            "$AT_ETCD_URL/v2/keys$AT_PREFIX/addresses/$number?prevExist=false" \
            --data-urlencode "value=$name")
        case $status in
        201)
            echo "$number"
            return 0
            ;;
        412)
            number=$((number + 1))
            ;;
        *)
            echo "PUT addresses/$number?prevExist=false answered HTTP $status" >&2
            return 1
            ;;
        esac
    done
    echo "no free address among the first 64" >&2
    return 1
}

# Writes every configs/PEER value from etcd to NAME's hosts/PEER, except NAME's own, and prints
# the peers' names, one per line.
copy_peer_host_files() {
    local name=$1 listing
    listing=$(script_curl "$name" "$AT_ETCD_URL/v2/keys$AT_PREFIX/configs?recursive=true")
    python3 -c '
import json, os, sys
directory, own_name = sys.argv[1], sys.argv[2]
# A missing configs/ directory comes back as an error document without "node".
for node in json.loads(sys.stdin.read()).get("node", {}).get("nodes", []):
    peer = node["key"].rsplit("/", 1)[1]
    if peer == own_name:
        continue
    with open(os.path.join(directory, "hosts", peer), "w") as host_file:
        host_file.write(node["value"])
    print(peer)
' "$(at_conf_dir "$name")" "$name" <<<"$listing"
}

# script_node NAME: a node that runs upstream tincd, set up as the shell script did. It claims
# an address, writes tinc.conf with a ConnectTo per node in etcd, generates the key pair with
# tincd -K, publishes hosts/NAME to configs/NAME and copies the peers' host files.
script_node() {
    local name=$1
    at_node "$name"
    TN_BIN[$name]=$TINCD_UPSTREAM
    local dir
    dir=$(at_conf_dir "$name")
    mkdir -p "$dir/hosts"

    local number address
    number=$(claim_lowest_address "$name") || tn_fail "$name could not claim an address (see the line above)"
    address=$(at_dotted "$number")
    tn_info "$name claimed $address (addresses/$number)"

    local peers peer
    peers=$(copy_peer_host_files "$name")
    {
        echo "Name = $name"
        echo "Interface = $AT_INTERFACE"
        for peer in $peers; do
            echo "ConnectTo = $peer"
        done
    } >"$dir/tinc.conf"
    printf 'Address = %s\nSubnet = %s/32\n' "${AT_PUBLIC[$name]}" "$address" >"$dir/hosts/$name"
    # shellcheck disable=SC2016 # $INTERFACE is for tinc-up to expand
    printf '#!/bin/sh\nip link set "$INTERFACE" up\nip addr add %s/%s dev "$INTERFACE"\n' \
        "$address" "$AT_SUBNET_BITS" >"$dir/tinc-up"
    chmod 755 "$dir/tinc-up"

    local status=0
    tn_run timeout 60 "$TINCD_UPSTREAM" -c "$dir" -K"$AT_KEY_BITS" </dev/null >"$TN_CASE_DIR/keygen-$name.out" 2>&1 || status=$?
    if [[ $status != 0 ]]; then
        tn_fail "upstream tincd -K for $name exited with status $status"
    fi
    status=$(script_curl "$name" -o /dev/null -w '%{http_code}' -X PUT \
        "$AT_ETCD_URL/v2/keys$AT_PREFIX/configs/$name" --data-urlencode "value@$dir/hosts/$name")
    if [[ $status != 200 && $status != 201 ]]; then
        tn_fail "PUT configs/$name answered HTTP $status"
    fi
}

# script_node_start NAME: starts upstream tincd on NAME's files and waits for its address.
script_node_start() {
    local name=$1 dir
    dir=$(at_conf_dir "$name")
    ip netns exec "${TN_NS[$name]}" "$TINCD_UPSTREAM" -c "$dir" -D -d3 \
        --pidfile="$dir/tincd.pid" --logfile="${AT_LOG[$name]}" </dev/null >/dev/null 2>&1 &
    TN_PID[$name]=$!
    at_wait_registered "$name" 20
}

# Three script nodes and no automatic-tinc: checks the test network, etcd and the script steps.
# The script copied host files only when it ran, so the test copies them once more before
# starting the daemons, or the first nodes would reject the later ones as unknown.
script_nodes_only() {
    at_network v2
    script_node s1
    script_node s2
    script_node s3
    local name
    for name in s1 s2 s3; do
        copy_peer_host_files "$name" >/dev/null
    done
    for name in s1 s2 s3; do
        script_node_start "$name"
    done
    at_ping_all 40 s1 s2 s3
}

# Two automatic-tinc nodes, then the script node: the automatic-tinc nodes must take its host
# file from etcd, and each side must reach the other.
upstream_joins_mixed_cluster() {
    at_network v2
    at_mesh node1 node2
    at_ping_all 40 node1 node2

    script_node upstream
    script_node_start upstream
    at_wait_host_file node1 upstream 20
    at_wait_host_file node2 upstream 20
    at_ping_all 40 node1 node2 upstream

    at_cli node1 list list
    if ! grep -w upstream "$TN_CASE_DIR/list.out" | grep -qF "${TN_VPN[upstream]}"; then
        tn_fail "automatic-tinc list has no row with upstream and ${TN_VPN[upstream]}"
    fi
}

at_case "script nodes only (harness check, v2)" script_nodes_only
at_case "upstream tincd in mixed cluster (v2)" upstream_joins_mixed_cluster
tn_finish
