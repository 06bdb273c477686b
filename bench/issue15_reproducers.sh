#!/usr/bin/env bash
# Issue 15's reproducers for items 2 and 9, measured on one or more builds of palimpsest (e.g. main
# and this branch) in the same run:
#   bench/issue15_reproducers.sh BINARY [BINARY...]
# 1. `plan` of a one-second film (the baseline), of a film at the local film length limit
#    (86,400 frames) and of `[[duration: 86400s]]` (1,036,800 frames at 12 fps): peak resident
#    memory (GNU time) and exit status.
# 2. Two `ingest --model` of one archive (150 images, 50 texts: 200 files, 300 records) into one
#    catalog at once: files added and records embedded, summed over both summaries.
# Needs ../shared/fixtures/clip (the tiny CLIP the tests use) and /usr/bin/time.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BINARY [BINARY...]" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
binaries=()
for b in "$@"; do binaries+=("$(realpath "$b")"); done
clip=$(cd "$here/../shared/fixtures/clip" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
python3 - "$clip" <<'PY'
import json, os, random, struct, sys, zlib
clip = sys.argv[1]
os.makedirs('archive')
def png(w, h, seed):
    rng = random.Random(seed)
    raw = b''.join(b'\x00' + bytes(rng.randrange(256) for _ in range(w * 3)) for _ in range(h))
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
for i in range(150): open(f'archive/img{i:03}.png', 'wb').write(png(64, 48, i))
for i in range(50): open(f'archive/t{i:03}.txt', 'w').write(f'Paragraph one of {i}.\n\nParagraph two.\n\nThree.\n')
os.makedirs('model')
json.dump({"name": "fixture-tiny", "weights": clip + "/tiny_vit_p8.safetensors",
           "tokenizer": {"kind": "clip_bpe", "file": clip + "/bpe_simple_vocab_16e6.txt.gz"},
           "image_size": 32, "context_length": 77, "vision_heads": 1, "text_heads": 2}, open('model/model.json', 'w'))
PY
printf 'A red circle. [[duration: 1s]]\n' > one_second.txt
printf 'A red circle. [[duration: 86400f]]\n' > at_limit.txt
printf 'A red circle. [[duration: 86400s]]\n' > one_day.txt

printf '%-40s %-16s %12s %6s\n' binary plan "peak RSS MB" exit
for binary in "${binaries[@]}"; do
  for m in one_second at_limit one_day; do
    rm -f p.db*
    set +e
    /usr/bin/time -f '%M' -o rss "$binary" --db p.db plan $m.txt > /dev/null 2>&1
    status=$?
    set -e
    printf '%-40s %-16s %12d %6d\n' "$binary" $m $(( $(tail -1 rss) / 1024 )) $status
  done
done
echo
printf '%-40s %14s %18s\n' binary "files added" "records embedded"
for binary in "${binaries[@]}"; do
  rm -f c.db*
  "$binary" --db c.db records > /dev/null
  "$binary" --db c.db ingest archive --model model --json > first.json 2> /dev/null &
  "$binary" --db c.db ingest archive --model model --json > second.json 2> /dev/null || true
  wait || true
  python3 - "$binary" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in ('first.json', 'second.json'))
print(f"{sys.argv[1]:40} {a['files_added'] + b['files_added']:>8} of 200 "
      f"{a['embeddings']['embedded'] + b['embeddings']['embedded']:>10} of 300")
PY
done
