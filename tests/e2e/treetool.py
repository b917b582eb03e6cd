#!/usr/bin/env python3
"""treetool: build, change and describe file trees for the Cairn e2e tests.

Python 3 standard library only. Paths are handled as bytes throughout, so
non-UTF-8 names survive. Every command is deterministic for a given --seed.

Commands (all write errors to stderr and exit 2 on bad usage):

  generate DIR --seed N [--big-mib M] [--small N]
      Creates DIR (it must be missing or empty) and fills it with every entry
      type: regular files (empty, 1 byte, a few KiB, a few MiB random and
      compressible text), big/big.bin of M MiB random data (M=0: skipped),
      N small files under small/dNN/ (100 per directory), nested and empty
      directories, symlinks (relative, absolute, dangling, to a directory),
      hardlinks (a pair and a triple), sparse/sparse.img (64 MiB, 3 data
      extents), sparse/allhole (8 MiB, no data), a fifo, a character and a
      block device (root only; skipped if mknod is refused), user.* xattrs
      (text, binary, empty; skipped if the filesystem refuses), names with
      spaces, a newline, a tab, unicode and non-UTF-8 bytes, modes 0600 0755
      0444 04755 02755 and a 01777 directory, owners 12345:54321 and 'daemon'
      (root only), and nanosecond mtimes on everything (directories last,
      deepest first). No file has a 4 KiB-aligned all-zero block written as
      data, so allocation ("sparse") survives a restore that punches holes.
      Prints a JSON summary on stdout (see `stats`).

  mutate DIR --seed N --percent P [--report FILE]
      Changes P% (at least 1) of the regular files: overwrite a random range
      (at most 64 KiB), append (at most 16 KiB), or replace the whole content
      with new random bytes (at most 4 MiB); deletes 3 files/symlinks that were
      not changed and adds 3 files (< 20 KiB) and a directory holding one file.
      Directory and file mtimes are whatever the changes leave. Prints the
      number of bytes written (changed + added) as a bare integer on stdout.
      --report FILE writes JSON: {"bytes_changed": N, "changed": [{"path",
      "op", "bytes", "size_before", "size_after"}], "deleted": [path],
      "added": [{"path", "size"}]} (paths relative, decoded with
      surrogateescape).

  manifest DIR [--out FILE] [--only REL]... [--with-parents]
      A canonical description of every entry below DIR, DIR itself as ".",
      one line per entry sorted by the raw bytes of the relative path:
        <path> type=<f|d|l|p|c|b|s> mode=<octal 07777 bits> uid= gid=
        size=<bytes; '-' for dirs> mtime_ns= sha256=<content hash or '-'>
        target=<symlink target or '-'> rdev=<major:minor or '-'>
        xattrs=<name=hexvalue,... sorted or '-'> link=<hardlink group or '-'>
        sparse=<0|1 for regular files: st_blocks*512 < size; '-' otherwise>
      Paths and targets are escaped: bytes 0x21-0x7e except '\\' stay, every
      other byte becomes \\xNN. link= is the first path (in this order) of the
      entries in the tree sharing the inode, for every member of a group of 2
      or more. --only REL (repeatable) keeps "." plus entries equal to or below
      REL (a plain relative path, e.g. deep/a); --with-parents also keeps the
      directories leading to each REL. Hardlink groups are computed among the
      kept entries. Without --out, writes to stdout. Equal trees give
      byte-identical manifests.

  compare A B [--ignore FIELD[,FIELD...]]
      Compares two manifest files, prints entries only in A, only in B, and
      per-field differences; exit 0 if equal, 1 if not. --ignore skips fields
      (e.g. mtime_ns,sparse).

  stats DIR
      JSON on stdout: {"regular_files": paths of regular files,
      "regular_inodes": distinct inodes of those, "regular_bytes": sum of sizes
      of distinct inodes, "dirs": directories (DIR included), "symlinks",
      "special": fifos/devices/sockets, "entries": everything but DIR}.
"""

import argparse
import hashlib
import json
import os
import random
import stat
import sys

MiB = 1 << 20
KiB = 1 << 10
BASE_TIME_S = 1_700_000_000  # 2023-11-14


def is_root():
    return os.geteuid() == 0


# ----------------------------------------------------------------- content

WORDS = (b"cairn backup restore snapshot chunk pack index catalog recovery point "
         b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
         b"tempor incididunt ut labore et dolore magna aliqua").split()


def rand_bytes(rng, n):
    """Random bytes with no all-zero 4 KiB block (practically guaranteed)."""
    return rng.randbytes(n) if n else b""


def text_bytes(rng, n):
    """Compressible text of exactly n bytes."""
    out = []
    total = 0
    line_no = 0
    while total < n:
        k = rng.randint(5, 14)
        line = b"%08d " % line_no + b" ".join(rng.choice(WORDS) for _ in range(k)) + b"\n"
        line_no += 1
        out.append(line)
        total += len(line)
    return b"".join(out)[:n]


def write_file(path, data, chunk=8 * MiB):
    with open(path, "wb") as f:
        for off in range(0, len(data), chunk):
            f.write(data[off:off + chunk])


def write_random_file(path, rng, n):
    with open(path, "wb") as f:
        left = n
        while left:
            k = min(left, 8 * MiB)
            f.write(rng.randbytes(k))
            left -= k


# ---------------------------------------------------------------- generate

class Gen:
    def __init__(self, root, rng):
        self.root = root
        self.rng = rng
        self.dirs = []       # directories (absolute bytes), for mtimes
        self.others = []     # non-directories for mtimes (symlinks included)

    def p(self, rel):
        return os.path.join(self.root, rel)

    def mkdir(self, rel, mode=0o755):
        path = self.p(rel)
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
        if path not in self.dirs:
            self.dirs.append(path)
        return path

    def file(self, rel, data, mode=0o644):
        path = self.p(rel)
        write_file(path, data)
        os.chmod(path, mode)
        self.others.append(path)
        return path

    def symlink(self, target, rel):
        path = self.p(rel)
        os.symlink(target, path)
        self.others.append(path)
        return path

    def mtime_ns(self):
        return (BASE_TIME_S + self.rng.randrange(0, 86400 * 365)) * 10**9 + self.rng.randrange(0, 10**9)


def cmd_generate(a):
    root = os.fsencode(os.path.abspath(a.dir))
    os.makedirs(root, exist_ok=True)
    if os.listdir(root):
        sys.exit("generate: %s is not empty" % a.dir)
    rng = random.Random(a.seed)
    g = Gen(root, rng)
    g.dirs.append(root)

    # Regular files of various sizes.
    g.mkdir(b"files")
    g.file(b"files/empty", b"")
    g.file(b"files/one", b"x")
    g.file(b"files/small_4k", rand_bytes(rng, 4096 + 123))
    g.file(b"files/exact_4k", rand_bytes(rng, 4096))
    g.file(b"files/text_3m.txt", text_bytes(rng, 3 * MiB + 17))
    g.file(b"files/random_2m.bin", rand_bytes(rng, 2 * MiB + 5))
    g.file(b"files/mixed_1m", rand_bytes(rng, 300 * KiB) + text_bytes(rng, 700 * KiB + 1))
    g.file(b"files/small_zeros", bytes(1000))  # below one block: not a hole
    if a.big_mib > 0:
        g.mkdir(b"big")
        path = g.p(b"big/big.bin")
        write_random_file(path, rng, a.big_mib * MiB)
        g.others.append(path)

    # Many small files.
    if a.small > 0:
        g.mkdir(b"small")
        for i in range(a.small):
            d = b"small/d%03d" % (i // 100)
            if i % 100 == 0:
                g.mkdir(d)
            n = rng.choice((0, 1, 17, 100, 512, 1000, 2047, 3000, 4095, 6000))
            data = text_bytes(rng, n) if i % 2 else rand_bytes(rng, n)
            g.file(d + b"/f%05d" % i, data)

    # Nested and empty directories.
    g.mkdir(b"deep")
    deep = b"deep"
    for name in (b"a", b"b", b"c", b"d", b"e"):
        deep += b"/" + name
        g.mkdir(deep)
    g.file(deep + b"/leaf.txt", text_bytes(rng, 999))
    g.file(b"deep/a/mid.bin", rand_bytes(rng, 5000))
    g.mkdir(b"empty_dir")

    # Symlinks.
    g.mkdir(b"links")
    g.symlink(b"../files/one", b"links/rel")
    g.symlink(os.path.join(root, b"files/text_3m.txt"), b"links/abs")
    g.symlink(b"does/not/exist", b"links/dangling")
    g.symlink(b"../deep", b"links/to_dir")
    g.symlink(b"/", b"links/to_root")

    # Hardlinks: a pair and a triple.
    g.mkdir(b"hard")
    g.file(b"hard/pair_a", rand_bytes(rng, 7000))
    os.link(g.p(b"hard/pair_a"), g.p(b"hard/pair_b"))
    g.file(b"hard/tri_1", text_bytes(rng, 12345))
    os.link(g.p(b"hard/tri_1"), g.p(b"hard/tri_2"))
    g.mkdir(b"hard/sub")
    os.link(g.p(b"hard/tri_1"), g.p(b"hard/sub/tri_3"))

    # Sparse files.
    g.mkdir(b"sparse")
    path = g.p(b"sparse/sparse.img")
    with open(path, "wb") as f:
        f.write(rand_bytes(rng, 64 * KiB))                  # extent at 0
        f.seek(20 * MiB + 12345)
        f.write(rand_bytes(rng, 100 * KiB + 7))           # unaligned middle extent
        f.seek(64 * MiB - 8 * KiB)
        f.write(rand_bytes(rng, 8 * KiB))                 # extent at the end
    g.others.append(path)
    path = g.p(b"sparse/allhole")
    with open(path, "wb") as f:
        f.truncate(8 * MiB)
    g.others.append(path)

    # Special files.
    g.mkdir(b"special")
    path = g.p(b"special/fifo")
    os.mkfifo(path, 0o640)
    os.chmod(path, 0o640)
    g.others.append(path)
    if is_root():
        for name, kind, dev in ((b"special/chardev", stat.S_IFCHR, os.makedev(1, 3)),
                                (b"special/blockdev", stat.S_IFBLK, os.makedev(7, 200))):
            path = g.p(name)
            try:
                os.mknod(path, kind | 0o660, dev)
                os.chmod(path, 0o660)
                g.others.append(path)
            except OSError as e:
                print("generate: skipping %s: %s" % (name.decode(), e), file=sys.stderr)

    # Extended attributes.
    g.mkdir(b"xattr")
    xf = g.file(b"xattr/with_xattrs", text_bytes(rng, 2000))
    xd = g.p(b"xattr")
    try:
        os.setxattr(xf, b"user.comment", b"hello cairn")
        os.setxattr(xf, b"user.binary", bytes(range(256)))
        os.setxattr(xf, b"user.empty", b"")
        os.setxattr(xd, b"user.dirattr", b"\x00\x01\xff directory")
    except OSError as e:
        print("generate: skipping xattrs: %s" % e, file=sys.stderr)

    # Awkward names.
    g.mkdir(b"names")
    for name in (b"with space", b"new\nline", b"tab\tname", "ünïcødé_日本語".encode(),
                 b"bad\xff\xfename", b"-dash", b"back\\slash", b".hidden"):
        g.file(b"names/" + name, rand_bytes(rng, rng.randrange(1, 3000)))
    g.mkdir(b"names/dir \xc3(\xa0")
    g.file(b"names/dir \xc3(\xa0/inner", b"inside a non-UTF-8 directory\n")

    # Modes.
    g.mkdir(b"modes")
    for name, mode in ((b"m0600", 0o600), (b"m0755", 0o755), (b"m0444", 0o444),
                       (b"m4755", 0o4755), (b"m2755", 0o2755)):
        g.file(b"modes/" + name, rand_bytes(rng, 100), mode)
    g.mkdir(b"modes/sticky", 0o1777)
    g.file(b"modes/sticky/inside", b"sticky\n")
    g.mkdir(b"modes/private", 0o700)

    # Owners (root only). chown clears setuid/setgid, so modes are set again.
    if is_root():
        g.mkdir(b"owners")
        f1 = g.file(b"owners/u12345", rand_bytes(rng, 321), 0o640)
        d1 = g.mkdir(b"owners/dir12345", 0o750)
        f2 = g.file(b"owners/dir12345/inner", b"owned\n", 0o4755)
        l1 = g.symlink(b"u12345", b"owners/link12345")
        f3 = g.file(b"owners/daemon", rand_bytes(rng, 100), 0o600)
        for p, mode in ((f1, 0o640), (d1, 0o750), (f2, 0o4755)):
            os.chown(p, 12345, 54321)
            os.chmod(p, mode)
        os.lchown(l1, 12345, 54321)
        try:
            import pwd
            pw = pwd.getpwnam("daemon")
            os.chown(f3, pw.pw_uid, pw.pw_gid)
            os.chmod(f3, 0o600)
        except KeyError:
            os.chown(f3, 1, 1)

    # Mtimes: everything else first, then directories deepest first.
    seen = set()
    for path in g.others:
        st = os.lstat(path)
        if (st.st_dev, st.st_ino) in seen and not stat.S_ISLNK(st.st_mode):
            continue
        seen.add((st.st_dev, st.st_ino))
        t = g.mtime_ns()
        os.utime(path, ns=(t, t), follow_symlinks=False)
    for path in sorted(set(g.dirs), key=lambda p: (-p.count(b"/"), p)):
        t = g.mtime_ns()
        os.utime(path, ns=(t, t), follow_symlinks=False)

    print(json.dumps(tree_stats(root), sort_keys=True))


# ------------------------------------------------------------------ mutate

def walk(root):
    """(relative bytes path, lstat) for every entry below root, unsorted."""
    out = []
    stack = [b""]
    while stack:
        rel = stack.pop()
        base = os.path.join(root, rel) if rel else root
        with os.scandir(base) as it:
            for e in it:
                r = os.path.join(rel, e.name) if rel else e.name
                st = os.lstat(os.path.join(root, r))
                out.append((r, st))
                if stat.S_ISDIR(st.st_mode):
                    stack.append(r)
    return out


def cmd_mutate(a):
    root = os.fsencode(os.path.abspath(a.dir))
    rng = random.Random(a.seed)
    entries = sorted(walk(root), key=lambda e: e[0])
    files = [r for r, st in entries if stat.S_ISREG(st.st_mode)]
    if not files:
        sys.exit("mutate: no regular files in %s" % a.dir)
    count = max(1, round(len(files) * a.percent / 100.0))
    chosen = rng.sample(files, min(count, len(files)))
    changed = 0
    report = {"changed": [], "deleted": [], "added": []}
    for rel in chosen:
        path = os.path.join(root, rel)
        size = os.lstat(path).st_size
        before = changed
        op = rng.choice(("overwrite", "append", "replace")) if size else "append"
        if op == "overwrite":
            n = min(size, rng.randrange(1, 64 * KiB))
            off = rng.randrange(0, size - n + 1)
            with open(path, "r+b") as f:
                f.seek(off)
                f.write(rand_bytes(rng, n))
            changed += n
        elif op == "append":
            n = rng.randrange(1, 16 * KiB)
            with open(path, "ab") as f:
                f.write(rand_bytes(rng, n))
            changed += n
        else:
            n = min(max(size, 1), 4 * MiB)
            with open(path, "wb") as f:
                f.write(rand_bytes(rng, n))
            changed += n
        report["changed"].append({"path": os.fsdecode(rel), "op": op, "bytes": changed - before,
                                  "size_before": size, "size_after": os.lstat(path).st_size})

    # Delete 3 entries that were not changed (files or symlinks).
    remaining = [r for r, st in entries
                 if (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)) and r not in chosen]
    for rel in rng.sample(remaining, min(3, len(remaining))):
        os.unlink(os.path.join(root, rel))
        report["deleted"].append(os.fsdecode(rel))

    # Add 3 files in existing directories and a new directory with one file.
    dirs = [r for r, st in entries if stat.S_ISDIR(st.st_mode)
            and not (st.st_mode & 0o222 == 0)]
    tag = rng.randrange(1 << 30)
    for i in range(3):
        d = rng.choice(dirs) if dirs else b""
        n = rng.randrange(1, 20 * KiB)
        rel = os.path.join(d, b"added_%d_%d" % (tag, i))
        write_file(os.path.join(root, rel), rand_bytes(rng, n))
        report["added"].append({"path": os.fsdecode(rel), "size": n})
        changed += n
    nd = os.path.join(root, b"added_dir_%d" % tag)
    os.mkdir(nd)
    n = rng.randrange(1, 20 * KiB)
    write_file(os.path.join(nd, b"file"), rand_bytes(rng, n))
    report["added"].append({"path": os.fsdecode(os.path.relpath(nd, root)) + "/file", "size": n})
    changed += n
    report["bytes_changed"] = changed
    if a.report:
        with open(a.report, "w") as f:
            json.dump(report, f, indent=1, sort_keys=True)
    print(changed)


# ---------------------------------------------------------------- manifest

def esc(b):
    out = []
    for c in b:
        if 0x21 <= c <= 0x7e and c != 0x5c:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)


def type_char(mode):
    for test, ch in ((stat.S_ISREG, "f"), (stat.S_ISDIR, "d"), (stat.S_ISLNK, "l"),
                     (stat.S_ISFIFO, "p"), (stat.S_ISCHR, "c"), (stat.S_ISBLK, "b"),
                     (stat.S_ISSOCK, "s")):
        if test(mode):
            return ch
    return "?"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * MiB)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def xattr_list(path):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return "-"
    items = []
    for n in sorted(os.fsencode(x) for x in names):
        try:
            v = os.getxattr(path, n, follow_symlinks=False)
        except OSError as e:
            v = ("<error %d>" % e.errno).encode()
        items.append(esc(n) + "=" + v.hex())
    return ",".join(items) if items else "-"


def manifest_lines(root, only=(), with_parents=False):
    root = os.fsencode(os.path.abspath(root))
    entries = [(b".", os.lstat(root))] + walk(root)
    entries.sort(key=lambda e: e[0])
    if only:
        keep = [os.fsencode(o).rstrip(b"/") for o in only]
        parents = set()
        if with_parents:
            for k in keep:
                parts = k.split(b"/")
                parents.update(b"/".join(parts[:i]) for i in range(1, len(parts)))
        entries = [e for e in entries if e[0] == b"." or e[0] in parents or any(
            e[0] == k or e[0].startswith(k + b"/") for k in keep)]
    groups = {}
    for rel, st in entries:
        if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
            groups.setdefault((st.st_dev, st.st_ino), []).append(rel)
    lines = []
    for rel, st in entries:
        path = root if rel == b"." else os.path.join(root, rel)
        mode = st.st_mode
        t = type_char(mode)
        size = "-" if t == "d" else str(st.st_size)
        sha = sha256_file(path) if t == "f" else "-"
        target = esc(os.readlink(path)) if t == "l" else "-"
        rdev = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)) if t in "cb" else "-"
        g = groups.get((st.st_dev, st.st_ino), [])
        link = esc(g[0]) if len(g) >= 2 else "-"
        sparse = ("1" if st.st_blocks * 512 < st.st_size else "0") if t == "f" else "-"
        lines.append("%s type=%s mode=%04o uid=%d gid=%d size=%s mtime_ns=%d sha256=%s "
                     "target=%s rdev=%s xattrs=%s link=%s sparse=%s" % (
                         esc(rel), t, stat.S_IMODE(mode), st.st_uid, st.st_gid, size,
                         st.st_mtime_ns, sha, target, rdev, xattr_list(path), link, sparse))
    return lines


def cmd_manifest(a):
    text = "".join(l + "\n" for l in manifest_lines(a.dir, a.only or (), a.with_parents))
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


def parse_manifest(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            name, _, rest = line.partition(" ")
            fields = dict(kv.split("=", 1) for kv in rest.split(" "))
            out[name] = fields
    return out


def cmd_compare(a):
    ignore = set()
    for i in a.ignore or ():
        ignore.update(x for x in i.split(",") if x)
    A, B = parse_manifest(a.a), parse_manifest(a.b)
    diffs = 0
    for name in sorted(set(A) | set(B)):
        if name not in B:
            print("only in %s: %s (%s)" % (a.a, name, A[name].get("type")))
            diffs += 1
        elif name not in A:
            print("only in %s: %s (%s)" % (a.b, name, B[name].get("type")))
            diffs += 1
        else:
            fa, fb = A[name], B[name]
            for k in sorted(set(fa) | set(fb)):
                if k in ignore:
                    continue
                if fa.get(k) != fb.get(k):
                    print("differs: %s: %s: %s != %s" % (name, k, fa.get(k), fb.get(k)))
                    diffs += 1
    if diffs:
        print("%d difference(s) between %s and %s" % (diffs, a.a, a.b))
        return 1
    return 0


# ------------------------------------------------------------------- stats

def tree_stats(root):
    root = os.fsencode(os.path.abspath(root))
    s = {"regular_files": 0, "regular_inodes": 0, "regular_bytes": 0, "dirs": 1,
         "symlinks": 0, "special": 0, "entries": 0}
    inodes = set()
    for rel, st in walk(root):
        s["entries"] += 1
        m = st.st_mode
        if stat.S_ISREG(m):
            s["regular_files"] += 1
            if (st.st_dev, st.st_ino) not in inodes:
                inodes.add((st.st_dev, st.st_ino))
                s["regular_bytes"] += st.st_size
        elif stat.S_ISDIR(m):
            s["dirs"] += 1
        elif stat.S_ISLNK(m):
            s["symlinks"] += 1
        else:
            s["special"] += 1
    s["regular_inodes"] = len(inodes)
    return s


def cmd_stats(a):
    print(json.dumps(tree_stats(a.dir), sort_keys=True))


def main():
    ap = argparse.ArgumentParser(prog="treetool.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("generate")
    p.add_argument("dir")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--big-mib", type=int, default=0)
    p.add_argument("--small", type=int, default=0)
    p.set_defaults(fn=cmd_generate)
    p = sub.add_parser("mutate")
    p.add_argument("dir")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--percent", type=float, required=True)
    p.add_argument("--report")
    p.set_defaults(fn=cmd_mutate)
    p = sub.add_parser("manifest")
    p.add_argument("dir")
    p.add_argument("--out")
    p.add_argument("--only", action="append")
    p.add_argument("--with-parents", action="store_true")
    p.set_defaults(fn=cmd_manifest)
    p = sub.add_parser("compare")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--ignore", action="append")
    p.set_defaults(fn=cmd_compare)
    p = sub.add_parser("stats")
    p.add_argument("dir")
    p.set_defaults(fn=cmd_stats)
    a = ap.parse_args()
    return a.fn(a) or 0


if __name__ == "__main__":
    sys.exit(main())
