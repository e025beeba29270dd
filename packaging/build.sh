#!/usr/bin/env bash
# Build the double-click desktop bundle (no Python needed on the target machine):
#   dist/paperzoo/paperzoo                          the program (one folder, PyInstaller)
#   dist/paperzoo/install.sh                        adds PaperZoo to the application menu (.desktop + icon)
#   dist/paperzoo-<version>-linux-x86_64.tar.gz     the same folder as one archive
#
#   packaging/build.sh                     build tools go in their own venv (build/venv)
#   PAPERZOO_BUILD_VENV=DIR packaging/build.sh     use (or create) another build venv
#   PAPERZOO_NO_ARCHIVE=1 packaging/build.sh       skip the .tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[build]\033[0m %s\n' "$*"; }
start=$(date +%s)

# 1. A build venv: the app's pinned dependencies + PyInstaller (never added to the app's own dependencies).
PY=${PYTHON:-}
for cand in python3.11 python3; do
  [ -n "$PY" ] && break
  if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then PY=$cand; fi
done
[ -n "$PY" ] || { say "the build needs Python 3.11 (python3.11 not found)"; exit 1; }
VENV=${PAPERZOO_BUILD_VENV:-build/venv}
[ -x "$VENV/bin/python" ] || { say "creating the build venv $VENV"; "$PY" -m venv "$VENV"; }
stamp="$VENV/.paperzoo-build-deps"
want=$(cat pyproject.toml packaging/requirements.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing the pinned dependencies and PyInstaller into $VENV (first time: a few minutes)"
  "$VENV/bin/python" -m pip install -q . -r packaging/requirements.txt
  echo "$want" > "$stamp"
fi
# the app itself, from this tree, every time (the dependencies are already there)
"$VENV/bin/python" -m pip install -q --no-deps --force-reinstall .

# 2. Pretrained files: fetched once (sha256-checked) into the builder's data folder, then bundled.
"$VENV/bin/python" -m engines.assets fetch --quiet-if-present

# 3. PyInstaller, one folder.
say "running PyInstaller (a few minutes)"
"$VENV/bin/pyinstaller" --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/paperzoo.spec
cp packaging/install.sh dist/paperzoo/install.sh
cp launcher/paperzoo.desktop.in dist/paperzoo/paperzoo.desktop.in
chmod +x dist/paperzoo/install.sh dist/paperzoo/paperzoo

# 4. The archive.
version=$("$VENV/bin/python" -c 'from importlib.metadata import version; print(version("paperzoo"))')
archive="dist/paperzoo-$version-linux-x86_64.tar.gz"
if [ -z "${PAPERZOO_NO_ARCHIVE:-}" ]; then
  say "writing $archive"
  rm -f "$archive"
  tar -C dist -cf - paperzoo | gzip -6 > "$archive.part" && mv "$archive.part" "$archive"
fi

say "done in $(( $(date +%s) - start )) s: dist/paperzoo/paperzoo ($(du -sh dist/paperzoo | cut -f1))"
[ -f "$archive" ] && say "archive: $archive ($(du -sh "$archive" | cut -f1))"
say "install (menu entry + icon): dist/paperzoo/install.sh   or unpack the archive anywhere and run its install.sh"
