#!/usr/bin/env bash
# Installs the FinOps Foundation's focus-validator (PyPI) into a venv of its own, for the
# FOCUS export's tests (docs/focus.md): ${GPULEDGER_CACHE:-$HOME/.cache/gpuledger}/focusvenv.
#
# focus-validator 2.x (FOCUS 1.2, rule model 1.2.0.1 shipped inside the package, so it runs
# offline with --block-download) requires Python >= 3.12, newer than Debian 12's 3.11. So this
# looks for a Python >= 3.12 (python3.12/python3.13/python3 on PATH, then pyenv's versions)
# and, only when there is none, falls back to focus-validator 1.0.0 (FOCUS 1.0), the newest
# release that installs on 3.11, and says so.
#
# Idempotent: when the venv already holds the pinned release it does nothing (no network).
# It writes $VENV/gpuledger-focus.env (VALIDATOR, FOCUS_VERSION, PYTHON, SITE_PACKAGES) for
# people; the tests find what they need in the venv itself. PyPI unreachable is a warning,
# not a failure: only the FOCUS tests need the validator.
set -euo pipefail

VALIDATOR_VERSION=2.2.1      # the newest release; needs Python >= 3.12
FOCUS_VERSION=1.2            # the FOCUS version of its bundled local rule model (1.2.0.1)
# Every dependency pinned, as resolved and tested here: unpinned, pip takes pyarrow 26, which
# needs numpy 2 while focus-validator 2.2.1 pins numpy < 2, and the validator then fails on
# its first CSV ("pyarrow requires NumPy 2.0 or newer").
PINS_312=(
  "focus-validator==$VALIDATOR_VERSION" pyarrow==21.0.0 numpy==1.26.4 pandas==2.3.3
  polars==1.44.2 polars-runtime-32==1.44.2 duckdb==1.5.6 pandera==0.26.1 multimethod==2.0.2
  sqlglot==27.29.0 pydantic==2.14.4 pydantic_core==2.50.5 jsonschema==4.26.0
  jsonschema-specifications==2025.9.1 referencing==0.37.0 rpds-py==2026.9.1 attrs==26.1.0
  ddt==1.7.2 graphviz==0.21 pandasql==0.7.3 SQLAlchemy==2.1.9 pytz==2025.2 PyYAML==6.0.4
  tabulate==0.10.0 typeguard==4.6.1 typing-inspect==0.9.0 typing-inspection==0.4.5
  typing_extensions==4.16.0 mypy_extensions==1.2.0 annotated-types==0.8.0 python-dateutil==4.0.0
  tzdata==2026.6 requests==2.34.2 urllib3==2.8.0 idna==3.20 certifi==2026.10.19.post1
  charset-normalizer==3.5.3 packaging==26.4
)
# The newest release that installs on Python 3.11. It checks FOCUS 1.0 only, and requires
# every FOCUS 1.0 column whatever the provider supports, so the FOCUS 1.2 export's validator
# test cannot pass with it: it is installed so that a 3.11-only machine still has a validator.
# 1.0.0 imports pandera 0.17, which needs multimethod's `overload` (gone in multimethod 2).
FALLBACK_VALIDATOR_VERSION=1.0.0
FALLBACK_FOCUS_VERSION=1.0
PINS_311=("focus-validator==$FALLBACK_VALIDATOR_VERSION" multimethod==1.12)

VENV="${GPULEDGER_CACHE:-$HOME/.cache/gpuledger}/focusvenv"
log() { echo "install-focus-validator: $*"; }
warn() { echo "install-focus-validator: WARNING: $*" >&2; }

# Prints "MAJOR MINOR" of a working Python, or fails. pyenv shims exist for versions that
# are not selected, and fail when run, so every candidate is actually run.
py_version() {
  "$1" -c 'import sys, venv; print(sys.version_info[0], sys.version_info[1])' 2>/dev/null
}

# The oldest Python >= 3.12 found, or nothing. Oldest, because 2.2.1 pins numpy 1.26, which
# has wheels up to 3.12 only: on 3.13 pip compiles numpy from source (measured: 9 minutes
# against 20 seconds on 3.12).
find_python312() {
  local best="" best_minor=99 candidate major minor
  local candidates=(python3.12 python3.13 python3.14 python3)
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python; do
    [ -x "$candidate" ] && candidates+=("$candidate")
  done
  for candidate in "${candidates[@]}"; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    read -r major minor < <(py_version "$candidate") || continue
    if [ "$major" = 3 ] && [ "$minor" -ge 12 ] && [ "$minor" -lt "$best_minor" ]; then
      best="$(command -v "$candidate")" best_minor="$minor"
    fi
  done
  [ -n "$best" ] && echo "$best"
}

PYTHON="$(find_python312 || true)"
PINS=()
if [ -n "$PYTHON" ]; then
  PINS=("${PINS_312[@]}")
  FOCUS="$FOCUS_VERSION"
  VERSION="$VALIDATOR_VERSION"
else
  PYTHON="$(command -v python3 || true)"
  [ -n "$PYTHON" ] || { warn "no python3 found; the FOCUS validator tests will fail"; exit 0; }
  warn "no Python >= 3.12 found (python3.12/python3.13 on PATH or ~/.pyenv/versions/3.12+);" \
       "falling back to focus-validator $FALLBACK_VALIDATOR_VERSION (FOCUS" \
       "$FALLBACK_FOCUS_VERSION only) on $("$PYTHON" --version 2>&1): the FOCUS $FOCUS_VERSION" \
       "export test (FocusValidator.*) will fail until a Python >= 3.12 is installed"
  PINS=("${PINS_311[@]}")
  FOCUS="$FALLBACK_FOCUS_VERSION"
  VERSION="$FALLBACK_VALIDATOR_VERSION"
fi
PY_TEXT="$("$PYTHON" --version 2>&1) ($PYTHON)"

venv_ready() {
  [ -x "$VENV/bin/focus-validator" ] || return 1
  # pyarrow and polars are imported only when a CSV is read: import them here too.
  "$VENV/bin/python" -c "import sys
from importlib.metadata import version
import focus_validator
if sys.version_info >= (3, 12):
    import pyarrow, polars, duckdb
sys.exit(version('focus-validator') != '$VERSION')" 2>/dev/null || return 1
  # The venv must have been made by the Python chosen now (not a stale fallback one).
  grep -qxF "PYTHON=$PYTHON" "$VENV/gpuledger-focus.env" 2>/dev/null
}

if venv_ready; then
  log "$VENV has focus-validator $VERSION (FOCUS $FOCUS) on $PY_TEXT"
  exit 0
fi
log "making $VENV with focus-validator $VERSION (FOCUS $FOCUS) on $PY_TEXT"
mkdir -p "$(dirname "$VENV")"
# --clear: a venv left by a python that is gone, another release or a half-done run is
# made anew.
if ! "$PYTHON" -m venv --clear "$VENV"; then
  warn "$PYTHON -m venv $VENV failed; the FOCUS validator tests will fail"
  exit 0
fi
if ! PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install -q --timeout 30 \
    --retries 2 "${PINS[@]}"; then
  warn "pip could not install ${PINS[*]}; the FOCUS validator tests will fail"
  exit 0
fi
# focus-validator 2.2.1 opens focus_validator/rules/currency_codes.csv relative to the
# working directory: run it from SITE_PACKAGES (the tests do).
SITE_PACKAGES="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
printf 'VALIDATOR=%s\nFOCUS_VERSION=%s\nPYTHON=%s\nSITE_PACKAGES=%s\n' "$VERSION" "$FOCUS" \
  "$PYTHON" "$SITE_PACKAGES" > "$VENV/gpuledger-focus.env"
if ! venv_ready; then
  warn "$VENV does not hold focus-validator $VERSION"
  exit 0
fi
log "focus-validator $VERSION ready in $VENV (validate with --validate-version $FOCUS)"
