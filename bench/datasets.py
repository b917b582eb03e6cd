#!/usr/bin/env python3
"""Deterministic data sets and the 1% change for the Cairn benchmark.

  datasets.py build  --data DIR --scale S [--only NAME,...]
  datasets.py mutate --root DIR --undo DIR [--percent 1]
  datasets.py undo   --undo DIR

Data sets (scale 1.0 = full size; run.sh --quick uses 0.1):
  mixed   ~1 GiB copied from the system: text files from /usr/share,
          /usr/include, /usr/lib/python3* (up to 60% of the budget), then
          binaries from /usr/lib/x86_64-linux-gnu up to the budget.
  small   50,000 files of 1-16 KiB in a 3-level tree; even-numbered files are
          compressible pseudo-source text, odd-numbered ones random bytes.
  random  1 GiB of random bytes in files of 1-64 MiB.

Every choice (selection order, sizes, contents) comes from a seeded PRNG or
from SHA-256 of the path, so two runs on the same machine build the same
trees. A marker file DIR/NAME.done records the parameters; a data set whose
marker matches is not built again.
"""

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import stat
import sys

GiB = 1 << 30
MiB = 1 << 20
KiB = 1 << 10
VERSION = 1  # bump when the generators change, to force a rebuild


def hkey(salt, path):
    return hashlib.sha256((salt + "\0" + path).encode()).hexdigest()


def is_text(path):
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError:
        return None
    return b"\0" not in head


def walk_files(roots, max_size):
    """Regular, readable, non-empty files under roots (no symlinks)."""
    out = []
    for root in roots:
        for dp, dns, fns in os.walk(root):
            dns.sort()
            for fn in sorted(fns):
                p = os.path.join(dp, fn)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue
                if st.st_size == 0 or st.st_size > max_size:
                    continue
                out.append((p, st.st_size))
    return out


def copy_into(dst_root, src):
    dst = os.path.join(dst_root, src.lstrip("/"))
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o644)


def build_mixed(dst, scale):
    budget = int(GiB * scale)
    text_budget = int(budget * 0.6)
    import glob
    text_roots = ["/usr/share", "/usr/include"] + sorted(glob.glob("/usr/lib/python3*"))
    bin_roots = ["/usr/lib/x86_64-linux-gnu"]
    # text: deterministic pseudo-random order (SHA-256 of the path)
    cand = walk_files(text_roots, 16 * MiB)
    cand.sort(key=lambda e: hkey("mixed-text", e[0]))
    total = 0
    ntext = nbin = 0
    for p, sz in cand:
        if total + sz > text_budget:
            continue
        if not is_text(p):
            continue
        try:
            copy_into(dst, p)
        except OSError:
            continue
        total += sz
        ntext += 1
    text_total = total
    # binaries (files with a NUL in the first 8 KiB) up to the whole budget;
    # if the binaries run out, fall back to binaries under the text roots.
    for roots in (bin_roots, text_roots):
        if total >= budget * 0.99:
            break
        cand = walk_files(roots, 32 * MiB)
        cand.sort(key=lambda e: hkey("mixed-bin", e[0]))
        for p, sz in cand:
            if total + sz > budget:
                continue
            if os.path.exists(os.path.join(dst, p.lstrip("/"))):
                continue
            if is_text(p) is not False:
                continue
            try:
                copy_into(dst, p)
            except OSError:
                continue
            total += sz
            nbin += 1
    return {"files": ntext + nbin, "text_files": ntext, "bin_files": nbin,
            "bytes": total, "text_bytes": text_total}


def make_vocab(rng):
    base = ("int char void static const struct return if else for while size_t "
            "uint8_t uint32_t uint64_t buf len err ctx node next prev key value "
            "data index count offset result error status flags mode path name "
            "self def import from class None True False elif try except raise "
            "with assert lambda yield async await print format append the a of "
            "to in is and or not this that file read write open close init free "
            "alloc lock unlock hash chunk pack blob tree snapshot repo").split()
    syll = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qu", "xi",
            "do", "fe", "gu", "ha", "jo", "ly", "bi", "co"]
    words = list(base)
    while len(words) < 4000:
        w = "".join(rng.choice(syll) for _ in range(rng.randint(2, 4)))
        if rng.random() < 0.3:
            w += "_" + rng.choice(base)
        words.append(w)
    return words


def text_blob(rng, words, size):
    out = []
    n = 0
    puncts = ["(", ");", " = ", ", ", " {", "}", " + ", " -> ", ": ", " == ", "; // "]
    while n < size:
        indent = " " * (4 * rng.randint(0, 3))
        k = rng.randint(3, 12)
        ws = rng.choices(words, k=k)
        line = indent + ws[0]
        for w in ws[1:]:
            line += rng.choice(puncts) if rng.random() < 0.35 else " "
            line += w
        if rng.random() < 0.2:
            line += " %d" % rng.randint(0, 99999)
        line += "\n"
        out.append(line)
        n += len(line)
    return "".join(out).encode()[:size]


def build_small(dst, scale):
    nfiles = max(100, int(round(50000 * scale)))
    rng = random.Random(20261126)
    words = make_vocab(rng)
    # 3-level tree: 10 x 10 x N leaf directories, ~50 files per leaf
    leaves = max(1, nfiles // 50)
    total = 0
    for i in range(nfiles):
        leaf = i % leaves
        d = os.path.join(dst, "d%02d" % (leaf % 10), "e%02d" % ((leaf // 10) % 10),
                         "f%03d" % (leaf // 100))
        if i < leaves:
            os.makedirs(d, exist_ok=True)
        size = rng.randint(1 * KiB, 16 * KiB)
        if i % 2 == 0:
            data = text_blob(rng, words, size)
            name = "file%05d.c" % i
        else:
            data = rng.randbytes(size)
            name = "file%05d.bin" % i
        with open(os.path.join(d, name), "wb") as fh:
            fh.write(data)
        total += size
    return {"files": nfiles, "bytes": total}


def build_random(dst, scale):
    budget = int(GiB * scale)
    rng = random.Random(424242)
    os.makedirs(dst, exist_ok=True)
    total = 0
    i = 0
    while total < budget:
        size = rng.randint(1 * MiB, 64 * MiB)
        size = min(size, budget - total)
        if size < 1 * MiB and i > 0:
            break
        p = os.path.join(dst, "r%03d" % (i // 10), "blob%04d.bin" % i)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as fh:
            left = size
            while left:
                n = min(left, 4 * MiB)
                fh.write(rng.randbytes(n))
                left -= n
        total += size
        i += 1
    return {"files": i, "bytes": total}


BUILDERS = {"mixed": build_mixed, "small": build_small, "random": build_random}


def cmd_build(a):
    os.makedirs(a.data, exist_ok=True)
    names = a.only.split(",") if a.only else list(BUILDERS)
    for name in names:
        dst = os.path.join(a.data, name)
        marker = os.path.join(a.data, name + ".done")
        want = {"version": VERSION, "scale": a.scale}
        if os.path.exists(marker):
            with open(marker) as fh:
                have = json.load(fh)
            if have.get("version") == VERSION and have.get("scale") == a.scale \
                    and os.path.isdir(dst):
                print("data set %s: up to date (%d files, %d bytes)"
                      % (name, have["files"], have["bytes"]), file=sys.stderr)
                continue
            os.unlink(marker)
        if os.path.exists(dst):
            shutil.rmtree(dst)
        os.makedirs(dst)
        print("data set %s: building (scale %s)..." % (name, a.scale), file=sys.stderr)
        info = BUILDERS[name](dst, a.scale)
        info.update(want)
        with open(marker, "w") as fh:
            json.dump(info, fh)
        print("data set %s: %d files, %d bytes" % (name, info["files"], info["bytes"]),
              file=sys.stderr)


def list_tree(root):
    out = []
    for dp, dns, fns in os.walk(root):
        dns.sort()
        for fn in sorted(fns):
            p = os.path.join(dp, fn)
            if os.path.isfile(p) and not os.path.islink(p):
                out.append(p)
    return out


def cmd_mutate(a):
    """Change a.percent % of the files (at least one), saving originals in undo.

    The change inserts a 257-byte line at an offset derived from the path (so
    content after it shifts, as with a real edit) and overwrites up to 4 KiB
    near the end of the file. Same files, same bytes, for every tool."""
    if os.path.exists(a.undo):
        sys.exit("mutate: undo dir %s exists; run undo first" % a.undo)
    files = list_tree(a.root)
    files.sort(key=lambda p: hkey("mutate", os.path.relpath(p, a.root)))
    n = max(1, int(math.ceil(len(files) * a.percent / 100.0)))
    chosen = sorted(files[:n])
    os.makedirs(a.undo)
    manifest = []
    changed_bytes = 0
    for i, p in enumerate(chosen):
        keep = os.path.join(a.undo, "%06d" % i)
        shutil.copy2(p, keep)
        manifest.append([p, keep])
        rel = os.path.relpath(p, a.root)
        rng = random.Random(hkey("mutate-bytes", rel))
        with open(p, "rb") as fh:
            data = fh.read()
        off = rng.randrange(0, len(data) + 1)
        ins = (rng.randbytes(128).hex() + "\n").encode()
        data = data[:off] + ins + data[off:]
        tail = min(4096, len(data) // 4)
        if tail:
            start = len(data) - tail - rng.randrange(0, tail + 1)
            data = data[:start] + rng.randbytes(tail) + data[start + tail:]
        with open(p, "r+b") as fh:
            fh.write(data)
            fh.truncate()
        changed_bytes += len(ins) + tail
    with open(os.path.join(a.undo, "manifest.json"), "w") as fh:
        json.dump(manifest, fh)
    print(json.dumps({"files_total": len(files), "files_changed": n,
                      "bytes_changed": changed_bytes}))


def cmd_undo(a):
    mf = os.path.join(a.undo, "manifest.json")
    if not os.path.exists(mf):
        return
    with open(mf) as fh:
        manifest = json.load(fh)
    for orig, keep in manifest:
        shutil.copy2(keep, orig)  # content and mtime back
    shutil.rmtree(a.undo)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--data", required=True)
    b.add_argument("--scale", type=float, default=1.0)
    b.add_argument("--only", default="")
    m = sub.add_parser("mutate")
    m.add_argument("--root", required=True)
    m.add_argument("--undo", required=True)
    m.add_argument("--percent", type=float, default=1.0)
    u = sub.add_parser("undo")
    u.add_argument("--undo", required=True)
    a = ap.parse_args()
    {"build": cmd_build, "mutate": cmd_mutate, "undo": cmd_undo}[a.cmd](a)


if __name__ == "__main__":
    main()
