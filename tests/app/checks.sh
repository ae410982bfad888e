# shellcheck shell=bash disable=SC2154  # $work is the caller's
# The checks the command-line tests share (sourced by the app tests):
# counters, pass / fail, and the shape of every error: exactly one stderr line starting with
# "gat: error:", exit status 2 for a usage error (the command line is wrong), 1 for an error
# while running (data, model, files). The caller sets $work, a scratch folder.
failures=0
passes=0

pass() { passes=$((passes + 1)); echo "ok: $1"; }
fail() { failures=$((failures + 1)); echo "FAIL: $1"; }

# expect_status STATUS NAME PATTERN -- COMMAND...: exit STATUS, exactly one stderr line
# starting with "gat: error:" and matching PATTERN.
expect_status() {
  local status=$1 name=$2 pattern=$3
  shift 4
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  local lines
  lines=$(wc -l <"$work/err")
  if [ "$rc" -eq "$status" ] && [ "$lines" -eq 1 ] && grep -q -- "^gat: error:.*$pattern" "$work/err"; then
    pass "$name"
  else
    fail "$name (exit $rc, expected $status; stderr: $(cat "$work/err"))"
  fi
}
# An error while running (data, model, files): exit 1.
expect_error() { expect_status 1 "$@"; }
# A usage error (the command line itself is wrong, nothing ran): exit 2.
expect_usage() { expect_status 2 "$@"; }

# metadata FILE KEY: the value of metadata KEY in the checkpoint FILE.
metadata() {
  python3 -c 'import json, struct, sys
d = open(sys.argv[1], "rb").read()
print(json.loads(d[8:8 + struct.unpack("<Q", d[:8])[0]])["__metadata__"][sys.argv[2]])' "$1" "$2"
}

# The summary line, and the script's status: 0 when nothing failed.
finish() {
  echo "$passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}
