#!/usr/bin/env bash
# A stand-in for `pulumi`, put first on PATH by the import tests: records each call's argv
# (NUL-separated), stdin and working directory in a numbered folder under $FAKE_PULUMI_DIR and
# does nothing else. The tests then write what Pulumi would (ciphertext at the --path).
set -euo pipefail
call="$FAKE_PULUMI_DIR/$(printf '%05d' "$(find "$FAKE_PULUMI_DIR" -mindepth 1 -maxdepth 1 -type d | wc -l)")"
mkdir "$call"
printf '%s\0' "$@" > "$call/argv"
cat > "$call/stdin"
pwd > "$call/cwd"
