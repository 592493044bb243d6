#!/bin/bash
# 5M users (build --dir), then 3M updates (fanout apply, --sync none), then a
# checkpoint (fanout checkpoint: open with 3M-update replay, checkpoint).
# Alternated: main's binary and this branch's on users without attributes,
# this branch's with lang + updated_at in users and updates. Run in a folder
# holding p.bin, a.bin (5M users without and with attributes) and up.bin,
# ua.bin (their first 3M): the commands are in bench/README.md, "User
# attributes in the Engine". NEW and OLD name the two binaries.
NEW=${NEW:-build/fanout}
OLD=${OLD:-/work/main/build/fanout}
ulimit -v 8000000
for round in 1 2 3 4 5; do
  for v in old-plain new-plain new-attrs; do
    case $v in old-plain) F=$OLD; U=p.bin; V=up.bin;; new-plain) F=$NEW; U=p.bin; V=up.bin;; new-attrs) F=$NEW; U=a.bin; V=ua.bin;; esac
    rm -rf d; $F build --users $U --dir d >/dev/null 2>&1
    /usr/bin/time -v $F apply --dir d --updates $V --sync none --batch 10000 >/dev/null 2>err.txt
    rate=$(grep -o "([0-9]*/s" err.txt | tr -d '(')
    attr=$(grep -o "user attributes [0-9.]* B/user" err.txt)
    rss=$(grep "Maximum resident" err.txt | awk '{print $6}')
    /usr/bin/time -v $F checkpoint --dir d >/dev/null 2>cerr.txt
    cp=$(grep -o "opened in [0-9.]* s\|checkpoint at [0-9]* in [0-9.]* s" cerr.txt | tr '\n' ' ')
    crss=$(grep "Maximum resident" cerr.txt | awk '{print $6}')
    echo "$round $v | apply $rate, peak RSS ${rss} KB | $attr | $cp, peak RSS ${crss} KB"
  done
done
