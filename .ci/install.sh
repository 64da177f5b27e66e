#!/usr/bin/env bash
# Installs vidmem and everything its tests need into ./.venv on a machine that has only
# Python 3.11 and the package registries (PyPI, Debian). Idempotent; safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

# System tools the tests use to make media on the fly (espeak-ng speech, LibriVox test speech,
# ffmpeg for live-stream publishers). Only when we are root on Debian and something is missing.
need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
[ -d /usr/share/pocketsphinx/test/data/librivox ] || need+=(pocketsphinx-testdata)
# RTSP test server for the live-stream tests (GStreamer's RTSP server through PyGObject)
/usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0')" >/dev/null 2>&1 \
  || need+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${need[*]}" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null 2>&1 \
    || echo "warning: could not install ${need[*]}; tests that need them will skip" >&2
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
pip install -q --disable-pip-version-check --upgrade pip wheel "setuptools<81"
# CPU torch first: with it present, nothing below pulls the CUDA wheels.
python -c "import torch" 2>/dev/null || pip install -q torch==2.13.0
pip install -q -e ".[all]"
# resemblyzer pins 'typing' and 'webrtcvad' (a source build); its needs come from the voices extra.
python -c "import resemblyzer" 2>/dev/null || pip install -q --no-deps "resemblyzer>=0.1.4"
python -m pip check >/dev/null 2>&1 || python -m pip check | grep -v -i resemblyzer || true
echo "vidmem installed in $(pwd)/.venv" >&2
