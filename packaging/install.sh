#!/usr/bin/env bash
# Put PaperZoo in the desktop's application menu (double-click to start). Shipped as install.sh in the bundle.
#   ./install.sh              the bundle stays where it is; writes ~/.local/share/applications/paperzoo.desktop
#   ./install.sh DIR          copies the bundle to DIR first (e.g. ~/.local/opt/paperzoo), then as above
#   ./install.sh --uninstall  removes the menu entry and the ~/.local/bin/paperzoo link
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
entry="$data/applications/paperzoo.desktop"
link="$HOME/.local/bin/paperzoo"

say() { printf '[paperzoo] %s\n' "$*"; }

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$entry"
  [ -L "$link" ] && rm -f "$link"
  say "removed $entry (the bundle folder itself is left where it is)"
  exit 0
fi

[ -x "$here/paperzoo" ] || { say "run this install.sh from inside the bundle folder (next to the paperzoo program)"; exit 1; }
bundle=$here
if [ -n "${1:-}" ]; then
  mkdir -p "$1"
  dest=$(cd "$1" && pwd)
  if [ "$dest" != "$here" ]; then
    say "copying the bundle to $dest"
    cp -a "$here/." "$dest/"
    bundle=$dest
  fi
fi

exe="$bundle/paperzoo"
icon="$bundle/_internal/assets/icons/paperzoo.png"
template="$bundle/paperzoo.desktop.in"
mkdir -p "$data/applications"
# Exec and Icon need absolute paths; Exec's argument is quoted (the spec allows it; paths may hold spaces).
case "$exe" in *[\"\`\$\\%]*) say "the folder's path holds one of \" \` \$ \\ %: move the bundle elsewhere"; exit 1 ;; esac
while IFS= read -r line || [ -n "$line" ]; do
  line=${line//@RUN@/"\"$exe\""}
  line=${line//@ICON@/"$icon"}
  printf '%s\n' "$line"
done < "$template" > "$entry.part"
mv "$entry.part" "$entry"
chmod 644 "$entry"
mkdir -p "$(dirname "$link")" && ln -sfn "$exe" "$link" 2>/dev/null || true
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" 2>/dev/null || true
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$entry"; fi
say "installed: $entry (menu entry 'PaperZoo'), command: $link"

# A real window needs a few X libraries that every desktop has; say which are missing, if any.
missing=$(ldd "$bundle/_internal/PySide6/Qt/plugins/platforms/libqxcb.so" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ' || true)
if [ -n "$missing" ]; then
  say "the window needs these system libraries: $missing"
  say "on Debian/Ubuntu: sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 libegl1 libgl1"
fi
