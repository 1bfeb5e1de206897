#!/usr/bin/env bash
# Checks openapi.yaml the way a client's author meets it:
#   1. openapi-spec-validator: valid OpenAPI 3.1;
#   2. openapi-generator validate (when java is here): no error, no warning;
#   3. openapi-python-client generates a client with no warning at all;
#   4. the client installs into the venv and every module of it imports.
# The tools are pinned in requirements.txt and constraints.txt beside this file.
#
# Usage: tests/client/check.sh
#   SOS_CLIENT_VENV  the venv to create or reuse (default tests/client/.venv)
# Then, against a running server: SOS_BASE_URL=http://127.0.0.1:8080 "$SOS_CLIENT_VENV/bin/python" tests/client/journey.py
# or, against a server of its own: tests/client/journey.sh target/release/sos
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
spec="$root/openapi.yaml"
venv="${SOS_CLIENT_VENV:-$here/.venv}"
out="$here/generated"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

fail() {
  echo "check: FAILED: $*" >&2
  exit 1
}

if [ ! -x "$venv/bin/python" ]; then
  echo "check: creating the venv $venv"
  python3 -m venv "$venv"
fi
py="$venv/bin/python"
# openapi-python-client runs ruff (from the venv) on what it generates.
export PATH="$venv/bin:$PATH"
"$py" -m pip install --quiet --disable-pip-version-check \
  -r "$here/requirements.txt" -c "$here/constraints.txt"

echo "check: openapi-spec-validator"
"$venv/bin/openapi-spec-validator" "$spec"

if command -v java >/dev/null 2>&1; then
  echo "check: openapi-generator validate"
  if ! "$venv/bin/openapi-generator-cli" validate -i "$spec" >"$log" 2>&1; then
    cat "$log" >&2
    fail "openapi-generator rejects the spec"
  fi
  cat "$log"
  grep -q "No validation issues detected" "$log" || fail "openapi-generator has remarks on the spec"
else
  echo "check: openapi-generator validate skipped: no java on this machine"
fi

echo "check: openapi-python-client generate"
rm -rf "$out"
if ! (cd "$here" && "$venv/bin/openapi-python-client" generate --path "$spec" \
  --config "$here/openapi-python-client.yaml" --meta setup --output-path "$out" \
  --fail-on-warning) >"$log" 2>&1; then
  cat "$log" >&2
  fail "openapi-python-client failed or warned"
fi
cat "$log"
# --fail-on-warning already fails on the warnings it counts; anything that looks like a
# warning or an error in its output fails too.
if grep -v "^Generating " "$log" | grep -qiE "warn|error|unable|cannot|skipp"; then
  fail "openapi-python-client printed a warning (above)"
fi

echo "check: install and import the client"
"$py" -m pip install --quiet --disable-pip-version-check --no-build-isolation \
  --force-reinstall --no-deps "$out"
# Its dependencies, pinned (the generated setup.py names them loosely).
"$py" -m pip install --quiet --disable-pip-version-check -c "$here/constraints.txt" httpx attrs
(cd "$here" && "$py" - <<'EOF'
import importlib
import pkgutil

import sos_khu_pho_client

modules = [m.name for m in pkgutil.walk_packages(sos_khu_pho_client.__path__, "sos_khu_pho_client.")]
for name in modules:
    importlib.import_module(name)
assert "sos_khu_pho_client.api.default.create_report_with_photos" in modules
print(f"check: {len(modules)} modules of sos_khu_pho_client import")
EOF
)
echo "check: the contract is valid and a client generated from it imports"
