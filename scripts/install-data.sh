#!/usr/bin/env bash
# Make Fashion-MNIST available: present already, or the Debian package when run as root.
set -euo pipefail
DIR="${VITRINE_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}"
if [ -f "$DIR/train-images-idx3-ubyte.gz" ] && [ -f "$DIR/t10k-labels-idx1-ubyte.gz" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing the Debian package dataset-fashion-mnist…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
Fashion-MNIST is not installed and this is not a root shell. Either:
  sudo apt-get install dataset-fashion-mnist
or, without root (Debian):
  apt-get download dataset-fashion-mnist && dpkg-deb -x dataset-fashion-mnist_*.deb "$HOME/fmnist"
  export VITRINE_FASHION_MNIST="$HOME/fmnist/usr/share/datasets/fashion-mnist"
or, on any machine with network:
  .venv/bin/vitrine catalog download "$HOME/fmnist" && export VITRINE_FASHION_MNIST="$HOME/fmnist"
MSG
exit 1
