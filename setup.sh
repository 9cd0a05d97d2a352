#!/usr/bin/env bash
# Set up tradeshield in ./.venv from this checkout.
#   ./setup.sh          the tool, plus a CJK font (Debian: fonts-wqy-microhei) so Chinese renders in images
#   ./setup.sh --test   also the test dependencies, openssl (RFC 3161 tests), Chromium (report screenshot test)
#                       and ffmpeg (video reference clips)
#   PYTHON=python3.10 ./setup.sh   with that interpreter (3.10 to 3.13; .ci/oldest-python checks 3.10)
# System packages are installed with apt-get only when running as root or with password-less sudo;
# otherwise a warning says what is missing and the tool still works (Chinese text falls back, tests skip).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
mode=${1:-}

want_ver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$want_ver" in
  3.10|3.11|3.12|3.13) ;;
  *) echo "setup: Python $want_ver is not supported (3.10 to 3.13); set PYTHON=python3.1x" >&2; exit 1 ;;
esac
if [ -x .venv/bin/python ] && [ "$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" != "$want_ver" ]; then
  echo "setup: .venv was made with another Python; making it again with $want_ver" >&2
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ "$mode" = "--test" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
else
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi

want=()
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || fc-list :lang=zh 2>/dev/null | grep -q . || want+=(fonts-wqy-microhei)
if [ "$mode" = "--test" ]; then
  command -v openssl >/dev/null || want+=(openssl)
  command -v chromium >/dev/null || want+=(chromium)
  command -v ffmpeg >/dev/null || want+=(ffmpeg)        # video tests: reference clips and the zscale cross-check
fi
if [ ${#want[@]} -gt 0 ]; then
  sudo=()
  [ "$(id -u)" = 0 ] || { sudo -n true 2>/dev/null && sudo=(sudo -n); } || true
  if command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || [ ${#sudo[@]} -gt 0 ]; }; then
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${want[@]}" >/dev/null 2>&1 || {
      "${sudo[@]}" apt-get update -q >/dev/null 2>&1 || true
      "${sudo[@]}" apt-get install -y -q --no-install-recommends "${want[@]}" >/dev/null 2>&1 ||
        echo "setup: could not install ${want[*]} with apt-get; continuing without them" >&2
    }
  else
    echo "setup: please install ${want[*]} (no root/sudo here); tradeshield works without them" >&2
  fi
fi
echo "setup: ready — .venv/bin/tradeshield" >&2
