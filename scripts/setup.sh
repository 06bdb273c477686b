#!/usr/bin/env bash
# Installs the Debian packages Palimpsest builds and runs with. Idempotent and non-interactive:
# when everything is already installed it changes nothing and does not touch the network.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libtorch-dev               # CLIP in libtorch (CPU)
  libfaiss-dev               # vector store
  libopenblas0-pthread       # BLAS for libtorch and FAISS (Debian's default libblas3 is the slow reference loop)
  libsqlite3-dev             # catalog (with FTS5)
  libsentencepiece-dev       # sentencepiece tokenizers (loaded as an isolated plugin)
  libprotobuf-dev            # linked first, see cmake/Dependencies.cmake
  libcpp-httplib-dev         # HTTP API
  nlohmann-json3-dev
  libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev   # decoding, H.264 encoding
  libswresample-dev libavfilter-dev   # audio: resampling, silence detection, loudness, AAC soundtracks
  libtesseract-dev tesseract-ocr-eng  # OCR of images, keyframes and scanned pages
  libpocketsphinx-dev pocketsphinx-en-us   # speech transcription (in-process)
  pocketsphinx pocketsphinx-testdata  # reference CLI and LibriVox recordings (speech benchmark)
  tesseract-ocr              # reference CLI (OCR benchmark, parity test)
  tesseract-ocr-deu          # a second OCR language: the "deu+eng" test reads umlauts and ß
  qpdf                       # encrypts PDFs in the PDF tests (encrypted-PDF errors, passwords)
  libpoppler-cpp-dev         # PDFs: text layer and page rendering
  libcurl4-openssl-dev       # model fetch over HTTPS
  libpq-dev postgresql-15    # the PostgreSQL catalog; tests start a throw-away server
  espeak-ng                  # speech synthesised at test and demo time
  clang-14 libfuzzer-14-dev  # fuzz targets (ctest label fuzz)
  zlib1g-dev                 # gzip'd CLIP BPE merges
  chromium chromium-driver python3-selenium   # the viewer's browser test (tests/browser/)
  wrk                        # HTTP load benchmark (bench/http_load.sh)
  python3-torch              # bench only: the PyTorch baseline of bench/clip_embed_bench (clip_embed_reference.py)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
