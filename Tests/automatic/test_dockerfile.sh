#!/usr/bin/env bash
#
# Checks the Dockerfile without a Docker engine, against the release build in .build/release.
# Every COPY source must exist, and the build stage's files must form a package SwiftPM can
# load. The ENTRYPOINT must be the copied automatic-tinc, and `automatic-tinc --help` must
# document each ENV default. The runtime stage must install the package of every shared
# library the binaries link against. Prints "PASS: NAME" or "FAIL: NAME: REASON" per check, like the
# other test files, and exits non-zero if any check failed.
#
# Run `swift build -c release` first. AUTOMATIC_TINC overrides the binary that --help runs, and
# DOCKERFILE the file checked.

# The check functions run only through `check`, which shellcheck cannot follow.
# shellcheck disable=SC2317

set -uo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dockerfile=${DOCKERFILE:-$repo_root/Dockerfile}
release_dir=$repo_root/.build/release
automatic_tinc=${AUTOMATIC_TINC:-$release_dir/automatic-tinc}
if ! command -v swift >/dev/null; then
    export PATH=$PATH:/opt/swift/usr/bin
fi

# The build stage's WORKDIR: /src/X in a COPY --from=build is X in the repository.
build_workdir=/src

# Packages that debian:bookworm-slim already contains, because apt and its libraries need
# them; the Dockerfile need not install them.
base_image_packages=(libc6 libgcc-s1 libstdc++6)

# The ENV variables the Dockerfile must set, with the program's defaults and the matching option.
declare -A expected_env=(
    [TINC_NETWORK_NAME]=automatic-tinc
    [TINC_NETWORK_SUBNET]=172.16.0.0/13
    [ETCD_ENDPOINTS]=http://127.0.0.1:4001
)
declare -A option_of_env=(
    [TINC_NETWORK_NAME]=--network
    [TINC_NETWORK_SUBNET]=--subnet
    [ETCD_ENDPOINTS]=--etcd
)

passed=0
failed=0
work=$(mktemp -d /tmp/swift-tinc-dockerfile.XXXXXX)
trap 'rm -rf "$work"' EXIT

# check NAME FUNCTION: runs FUNCTION in a subshell; it prints the reason and returns non-zero
# when the check fails.
check() {
    local name=$1 function=$2 reason status=0
    reason=$("$function" 2>&1) || status=$?
    if [[ $status == 0 ]]; then
        echo "PASS: $name"
        passed=$((passed + 1))
    else
        echo "FAIL: $name: ${reason:-$function returned $status}"
        failed=$((failed + 1))
    fi
}

# Prints the Dockerfile's instructions one per line, with continuation lines joined and
# comments and blank lines dropped.
instructions() {
    sed -e '/^[[:space:]]*#/d' "$dockerfile" | sed -e ':join' -e '/\\$/{N; s/\\\n[[:space:]]*/ /; b join}' |
        sed -e '/^[[:space:]]*$/d'
}

# Prints the instructions of the last stage (after the last FROM).
final_stage() {
    instructions | awk '/^FROM / { stage = "" } { stage = stage $0 "\n" } END { printf "%s", stage }'
}

# Prints "FROM_STAGE SOURCE DESTINATION" per COPY source; FROM_STAGE is "-" for the context.
copy_sources() {
    instructions | awk '$1 == "COPY" {
        from = "-"
        first = 2
        if ($2 ~ /^--from=/) { from = substr($2, 8); first = 3 }
        for (i = first; i < NF; i++) print from, $i, $NF
    }'
}

copy_sources_exist() {
    local from source missing=()
    while read -r from source _; do
        case $from in
        -)
            [[ -e $repo_root/$source ]] || missing+=("$source (build context)")
            ;;
        build)
            if [[ $source != "$build_workdir"/* ]]; then
                missing+=("$source (not under the build stage's $build_workdir)")
            elif [[ ! -e $repo_root/${source#"$build_workdir"/} ]]; then
                missing+=("${source#"$build_workdir"/} (run swift build -c release)")
            fi
            ;;
        swift-toolchain)
            local swift_path
            swift_path=$(command -v swift) || { missing+=("swift toolchain (swift not in PATH)"); continue; }
            swift_path=$(readlink -f "$swift_path")
            [[ -x $(dirname "$swift_path")/../../usr/bin/swift ]] ||
                missing+=("toolchain directory with usr/bin/swift above $swift_path")
            ;;
        *)
            missing+=("$source (unknown stage $from)")
            ;;
        esac
    done < <(copy_sources)
    if [[ ${#missing[@]} != 0 ]]; then
        echo "missing: ${missing[*]}"
        return 1
    fi
    [[ $(copy_sources | grep -c .) -gt 0 ]] || { echo "no COPY found"; return 1; }
}

# Copies what the build stage copies from the context into a scratch directory and lets
# SwiftPM load it there: a missing directory of a declared target fails this.
build_context_is_a_package() {
    local from source
    mkdir -p "$work/src"
    while read -r from source _; do
        if [[ $from == - ]]; then
            cp -a "$repo_root/$source" "$work/src/" || return 1
        fi
    done < <(copy_sources)
    local description
    description=$(cd "$work/src" && timeout 300 swift package describe --type json 2>&1) || {
        echo "swift package describe failed: $(tail -n 2 <<<"$description")"
        return 1
    }
    local product
    for product in tincd automatic-tinc; do
        grep -q "\"name\" : \"$product\"" <<<"$description" || {
            echo "the copied package has no product $product"
            return 1
        }
    done
}

entrypoint_is_copied_binary() {
    local entrypoint
    entrypoint=$(final_stage | sed -n 's/^ENTRYPOINT \["\([^"]*\)".*/\1/p')
    if [[ $entrypoint != /usr/local/bin/automatic-tinc ]]; then
        echo "ENTRYPOINT of the final stage is \"${entrypoint:-none}\", expected [\"/usr/local/bin/automatic-tinc\"]"
        return 1
    fi
    # The final stage's COPY lines that name .../automatic-tinc must place it at the ENTRYPOINT.
    local copied
    copied=$(final_stage | awk '$1 == "COPY" {
        for (i = 2; i < NF; i++) if ($i ~ /\/automatic-tinc$/) {
            destination = $NF
            if (destination ~ /\/$/) destination = destination "automatic-tinc"
            print destination
        }
    }')
    if [[ $copied != "$entrypoint" ]]; then
        echo "the final stage copies automatic-tinc to \"${copied:-nowhere}\", but ENTRYPOINT runs $entrypoint"
        return 1
    fi
}

# Prints "NAME=VALUE" per variable set by ENV in the final stage.
env_settings() {
    final_stage | awk '$1 == "ENV" { for (i = 2; i <= NF; i++) print $i }'
}

env_defaults_match_program() {
    local settings name problems=()
    settings=$(env_settings)
    for name in "${!expected_env[@]}"; do
        grep -qFx "$name=${expected_env[$name]}" <<<"$settings" ||
            problems+=("ENV $name is not ${expected_env[$name]}")
    done
    local count
    count=$(grep -c . <<<"$settings")
    if [[ $count != "${#expected_env[@]}" ]]; then
        problems+=("the final stage sets $count ENV variables, expected ${#expected_env[@]}: ${settings//$'\n'/ }")
    fi
    if [[ ${#problems[@]} != 0 ]]; then
        echo "${problems[*]}"
        return 1
    fi
}

help_lists_env_options() {
    if [[ ! -x $automatic_tinc ]]; then
        echo "$automatic_tinc not found; run swift build -c release --product automatic-tinc"
        return 1
    fi
    local help status=0
    help=$(timeout 10 "$automatic_tinc" --help 2>&1) || status=$?
    if [[ $status != 0 ]]; then
        echo "automatic-tinc --help exited with status $status"
        return 1
    fi
    local setting name missing=()
    while IFS= read -r setting; do
        name=${setting%%=*}
        grep -qw -- "$name" <<<"$help" || missing+=("$name")
        if [[ -n ${option_of_env[$name]:-} ]]; then
            grep -q -- "${option_of_env[$name]}\b" <<<"$help" || missing+=("${option_of_env[$name]}")
        fi
    done < <(env_settings)
    if [[ ${#missing[@]} != 0 ]]; then
        echo "automatic-tinc --help does not mention: ${missing[*]}"
        return 1
    fi
}

ports_and_volume() {
    local stage problems=()
    stage=$(final_stage)
    grep -qx 'EXPOSE 655/tcp 655/udp' <<<"$stage" || problems+=("no EXPOSE 655/tcp 655/udp")
    grep -qx 'VOLUME /etc/tinc' <<<"$stage" || problems+=("no VOLUME /etc/tinc")
    grep -qx 'FROM debian:bookworm-slim' <<<"$stage" || problems+=("the final stage is not FROM debian:bookworm-slim")
    if [[ ${#problems[@]} != 0 ]]; then
        echo "${problems[*]}"
        return 1
    fi
}

# Each NEEDED entry of the two binaries, except the Swift runtime (linked statically in the
# image), must come from a package that the final stage installs or the base image contains.
runtime_libraries_installed() {
    local installed binary missing=()
    installed=" $(final_stage | sed -n 's/.*apt-get install [^&]*--no-install-recommends \([^&]*\).*/\1/p') ${base_image_packages[*]} "
    for binary in "$release_dir/automatic-tinc" "$release_dir/tincd"; do
        if [[ ! -x $binary ]]; then
            echo "$binary not found; run swift build -c release"
            return 1
        fi
        local soname resolved package
        local resolved_libraries
        resolved_libraries=$(ldd "$binary")
        for soname in $(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            resolved=$(awk -v name="$soname" '$1 == name { print $3 }' <<<"$resolved_libraries")
            if [[ $resolved == */swift/* || $soname == libswift* || $soname == libdispatch.so || $soname == libBlocksRuntime.so ]]; then
                continue
            fi
            package=$(dpkg -S "*/$soname" 2>/dev/null | head -n 1 | cut -d : -f 1)
            if [[ -z $package ]]; then
                missing+=("$soname (no Debian package owns it)")
            elif [[ $installed != *" $package "* ]]; then
                missing+=("$soname from $package (${binary##*/})")
            fi
        done
    done
    if [[ ${#missing[@]} != 0 ]]; then
        echo "the final stage does not install: ${missing[*]}"
        return 1
    fi
}

check "Dockerfile: every COPY source exists" copy_sources_exist
check "Dockerfile: build stage files load as a package" build_context_is_a_package
check "Dockerfile: ENTRYPOINT is the copied automatic-tinc" entrypoint_is_copied_binary
check "Dockerfile: ENV defaults are the program's" env_defaults_match_program
check "Dockerfile: --help lists every ENV variable" help_lists_env_options
check "Dockerfile: ports, volume and base image" ports_and_volume
check "Dockerfile: runtime stage has every library" runtime_libraries_installed

if [[ $failed != 0 || $passed == 0 ]]; then
    exit 1
fi
exit 0
