#!/usr/bin/env python3
"""Seeded generator of large trees of small files, for bench/scale.sh.

  gen_tree.py --root DIR --files N [--seed S]

Builds DIR (which must not exist) holding N regular files:
  - sizes 0-4 KiB: 2% empty, the rest uniform in 1..4096 bytes;
  - content: 20% of the files take one of 1,000 shared contents (dedup across
    files), 40% pseudo-text (compressible, unique), 40% random bytes (unique);
  - directories: 8 top-level directories; below them leaf directories of
    100-1,000 entries (uniform), grouped 20 to a parent directory, i.e.
    DIR/tNN/gNNNN/dNNNNN/fNNNNNN; and 1 file in 1,000 goes instead to a deep
    path of 10-40 levels (DIR/deep/...).
Every choice comes from random.Random(seed) (default seed 13), so a given
(N, seed) always gives the same tree: names, sizes and bytes (mtimes are those
of the build). Prints a one-line JSON summary (files, leaf_dirs, groups, deep_paths, bytes) on stdout.
"""

import argparse
import json
import os
import random
import sys

WORDS = ("the of and to in is for on that with as by at from this be are or an it not which have "
         "int char void return static const struct size_t if else while for break case default "
         "self def import class None True False elif try except raise yield lambda pass "
         "backup restore snapshot chunk pack index blob tree catalog repository").split()


def text(rng, size):
    out = []
    n = 0
    while n < size:
        w = WORDS[rng.randrange(len(WORDS))]
        sep = "\n" if rng.random() < 0.08 else " "
        out.append(w + sep)
        n += len(w) + 1
    return "".join(out).encode()[:size]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", required=True)
    ap.add_argument("--files", type=int, required=True)
    ap.add_argument("--seed", type=int, default=13)
    a = ap.parse_args()
    if os.path.exists(a.root):
        sys.exit(f"gen_tree.py: '{a.root}' exists; remove it first")
    rng = random.Random(a.seed)
    shared = [rng.randbytes(rng.randint(1, 4096)) if i % 2 else text(rng, rng.randint(1, 4096))
              for i in range(1000)]
    os.makedirs(a.root)
    files = nbytes = 0
    leaf_no = group_no = 0
    top = 0
    leaf_dir = None
    left_in_leaf = 0
    leaves_in_group = 20
    deep_no = 0
    for i in range(a.files):
        r = rng.random()
        if rng.random() < 0.001:
            depth = rng.randint(10, 40)
            d = os.path.join(a.root, "deep", f"p{deep_no:04d}", *[f"l{k:02d}" for k in range(depth)])
            deep_no += 1
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, f"f{i:07d}")
        else:
            if left_in_leaf == 0:
                if leaves_in_group == 20:
                    top = rng.randrange(8)
                    group_no += 1
                    leaves_in_group = 0
                leaf_no += 1
                leaves_in_group += 1
                leaf_dir = os.path.join(a.root, f"t{top:02d}", f"g{group_no:04d}", f"d{leaf_no:05d}")
                os.makedirs(leaf_dir)
                left_in_leaf = rng.randint(100, 1000)
            left_in_leaf -= 1
            path = os.path.join(leaf_dir, f"f{i:07d}")
        if r < 0.02:
            data = b""
        elif r < 0.22:
            data = shared[rng.randrange(len(shared))]
        elif r < 0.61:
            data = text(rng, rng.randint(1, 4096))
        else:
            data = rng.randbytes(rng.randint(1, 4096))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        files += 1
        nbytes += len(data)
    print(json.dumps({"root": a.root, "files": files, "leaf_dirs": leaf_no, "groups": group_no, "deep_paths": deep_no, "bytes": nbytes, "seed": a.seed}))


if __name__ == "__main__":
    main()
