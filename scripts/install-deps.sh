#!/usr/bin/env bash
# Installs what this machine needs from Debian, idempotently (never by hand):
#   build  cmake and a C++ compiler for the native addon (needed by `npm install`), python3 for
#          the CUDA emulator check (kernels/cuda/emu rewrites launches with a Python script),
#          fonts-dejavu-core for the text of `trimnet sweep --plot x.png` (resvg uses system fonts)
#   bench  the peers and data the benchmarks and fixture script use: numpy/scipy/torch/sklearn/
#          onnx from Debian, the full Fashion-MNIST (dataset-fashion-mnist), gensim and the KJV
#          Bible text (bible-kjv-text; its `bible` program dumps it) for the word-vector fixtures
# Usage: scripts/install-deps.sh build|bench|all
set -euo pipefail
what="${1:-build}"
pkgs=()
need() { dpkg -s "$1" >/dev/null 2>&1 || pkgs+=("$1"); }
case "$what" in
  build) need cmake; need g++; need make; need python3; need fonts-dejavu-core ;;
  bench) need python3-numpy; need python3-scipy; need python3-torch; need python3-sklearn; need python3-onnx; need dataset-fashion-mnist; need python3-gensim; need bible-kjv-text ;;
  all) need cmake; need g++; need make; need python3; need fonts-dejavu-core; need python3-numpy; need python3-scipy; need python3-torch; need python3-sklearn; need python3-onnx; need dataset-fashion-mnist; need python3-gensim; need bible-kjv-text ;;
  *) echo "usage: $0 build|bench|all" >&2; exit 2 ;;
esac
[ ${#pkgs[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "trimnet: installing ${pkgs[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}"
