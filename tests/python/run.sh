#!/usr/bin/env bash
# Runs a Python program of this folder with the official Pulsar Python client (the version
# requirements.txt pins): run.sh produce_consume <args...>. The first run makes a venv
# ($MAGNETAR_PY_VENV, by default ~/.cache/magnetar-py) and pip-installs the client into it;
# later runs reuse it while requirements.txt is unchanged. Needs python3 with venv.
set -euo pipefail
cd "$(dirname "$0")"
prog=$1
shift
venv=${MAGNETAR_PY_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/magnetar-py}
stamp=$venv/.requirements
mkdir -p "$(dirname "$venv")"
# One installer at a time: concurrent test runs share the venv.
exec 9>"$venv.lock"
flock 9
if ! cmp -s requirements.txt "$stamp" 2>/dev/null; then
  rm -rf "$venv"
  if ! "${PYTHON:-python3}" -m venv "$venv" >&2; then
    echo "run.sh: ${PYTHON:-python3} -m venv failed; on Debian install python3-venv" >&2
    exit 1
  fi
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt >&2
  cp requirements.txt "$stamp"
fi
exec 9>&-
exec "$venv/bin/python" -u "$prog.py" "$@"
