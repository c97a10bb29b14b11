#!/usr/bin/env bash
#
# Our tincd -K compared with upstream tincd -K on identical configuration directories. Both must
# write rsa_key.priv (mode 600) and append the public key to hosts/NAME. The files must have the
# same layout once the base64 key bodies are masked, and the key must be valid, of the requested
# size, and match the public key in hosts/NAME. Upstream 1.0.36 writes a newline before each PEM
# block and appends to both files when run again; ours has to do the same.

# The case functions run only through tn_case, which shellcheck cannot follow.
# shellcheck disable=SC2317
# shellcheck source=Tests/interop/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Prints FILE with each run of base64 lines inside a PEM block replaced by one "<base64>" line.
mask_key_bodies() {
    awk '
        /^-----BEGIN / { print; inside = 1; masked = 0; next }
        /^-----END / { print; inside = 0; next }
        inside && /^[A-Za-z0-9+\/=]+$/ { if (!masked) print "<base64>"; masked = 1; next }
        { print }
    ' "$1"
}

# Prints the last PEM block of FILE whose BEGIN line contains LABEL.
last_pem_block() {
    local file=$1 label=$2
    awk -v label="$label" '
        /^-----BEGIN / && index($0, label) { block = ""; inside = 1 }
        inside { block = block $0 "\n" }
        /^-----END / && inside { inside = 0; last = block }
        END { printf "%s", last }
    ' "$file"
}

# prepare_directory DIR SCENARIO: the same starting state for both binaries.
prepare_directory() {
    local dir=$1 scenario=$2
    mkdir -p "$dir/hosts"
    echo "Name = alpha" >"$dir/tinc.conf"
    case $scenario in
    no-host-file) ;;
    no-final-newline) printf 'Subnet = 10.77.0.1/32' >"$dir/hosts/alpha" ;;
    *) printf 'Subnet = 10.77.0.1/32\nPort = 7655\n' >"$dir/hosts/alpha" ;;
    esac
}

# run_keygen BINARY DIR KEYGEN_OPTION RUNS
run_keygen() {
    local binary=$1 dir=$2 option=$3 runs=$4 run status
    for ((run = 1; run <= runs; run++)); do
        status=0
        tn_run timeout 120 "$binary" -c "$dir" "$option" </dev/null >>"$dir/keygen.out" 2>&1 || status=$?
        if [[ $status != 0 ]]; then
            tn_fail "$binary -c $dir $option exited with status $status (run $run)"
        fi
    done
}

# check_key_pair DIR BITS WHO: the last private key is valid, has BITS bits and matches the last
# public key in hosts/alpha.
check_key_pair() {
    local dir=$1 bits=$2 who=$3
    local private=$dir/last.priv
    last_pem_block "$dir/rsa_key.priv" "RSA PRIVATE KEY" >"$private"

    if ! openssl rsa -in "$private" -check -noout >/dev/null 2>&1; then
        tn_fail "$who: rsa_key.priv contains no valid RSA private key"
    fi
    local text header
    text=$(openssl rsa -in "$private" -noout -text 2>/dev/null)
    header=${text%%$'\n'*}
    if [[ $header != *"($bits bit"* ]]; then
        tn_fail "$who: expected a $bits-bit key, openssl reports '$header'"
    fi

    local derived stored
    derived=$(openssl rsa -in "$private" -RSAPublicKey_out 2>/dev/null)
    stored=$(last_pem_block "$dir/hosts/alpha" "RSA PUBLIC KEY")
    if [[ -z $stored ]]; then
        tn_fail "$who: hosts/alpha contains no RSA PUBLIC KEY block"
    fi
    if [[ $derived != "$stored" ]]; then
        tn_fail "$who: the public key in hosts/alpha does not match rsa_key.priv"
    fi
}

# generate_keys_like_upstream SCENARIO KEYGEN_OPTION BITS RUNS
generate_keys_like_upstream() {
    local scenario=$1 option=$2 bits=$3 runs=$4
    local ours=$TN_CASE_DIR/ours upstream=$TN_CASE_DIR/upstream
    tn_require_binary "$TINCD_OURS"
    if ! command -v openssl >/dev/null; then
        tn_fail "openssl not found; install the test tools with scripts/install-deps.sh"
    fi

    prepare_directory "$ours" "$scenario"
    prepare_directory "$upstream" "$scenario"
    run_keygen "$TINCD_UPSTREAM" "$upstream" "$option" "$runs"
    run_keygen "$TINCD_OURS" "$ours" "$option" "$runs"

    if [[ ! -f $ours/rsa_key.priv ]]; then
        tn_fail "our -K wrote no rsa_key.priv"
    fi
    local mode
    mode=$(stat -c %a "$ours/rsa_key.priv")
    if [[ $mode != 600 ]]; then
        tn_fail "our rsa_key.priv has mode $mode, upstream writes 600"
    fi

    local file
    for file in rsa_key.priv hosts/alpha; do
        if ! diff -u <(mask_key_bodies "$upstream/$file") <(mask_key_bodies "$ours/$file") \
            >"$TN_CASE_DIR/layout-diff.out"; then
            tn_fail "$file from our -K differs in layout from upstream's (diff in layout-diff.out)"
        fi
    done
    tn_info "rsa_key.priv and hosts/alpha have upstream's layout"

    check_key_pair "$upstream" "$bits" "upstream"
    check_key_pair "$ours" "$bits" "ours"
    tn_info "our key is a valid $bits-bit RSA key and hosts/alpha has its public half"
}

tn_case "-K: default size, host file with Subnet and Port" generate_keys_like_upstream plain -K 2048 1
tn_case "-K1024: host file without final newline" generate_keys_like_upstream no-final-newline -K1024 1024 1
tn_case "-K2048: no host file yet" generate_keys_like_upstream no-host-file -K2048 2048 1
tn_case "-K2048 twice: both files get a second key appended" generate_keys_like_upstream plain -K2048 2048 2
tn_finish
