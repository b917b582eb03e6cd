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
        sparse=<0|1 for regular files: 1 when it has a hole (SEEK_HOLE before
        the end; st_blocks*512 < size when it cannot be read); '-' otherwise>
      sha256 is "unreadable" for a file that cannot be opened (non-root).
      Paths and targets are escaped: bytes 0x21-0x7e except '\\' stay, every
      other byte becomes \\xNN. link= is the first path (in this order) of the
      entries in the tree sharing the inode, for every member of a group of 2
      or more. --only REL (repeatable) keeps "." plus entries equal to or below
      REL (a plain relative path, e.g. deep/a); --with-parents also keeps the
      directories leading to each REL. Hardlink groups are computed among the
      kept entries. Without --out, writes to stdout. Equal trees give
      byte-identical manifests.

  compare A B [--ignore FIELD[,FIELD...]] [--regular-links-only]
          [--unreadable-placeholders] [--max-lines N]
      Compares two manifest files, prints entries only in A, only in B, and
      per-field differences; exit 0 if equal, 1 if not. --ignore skips fields
      (e.g. mtime_ns,sparse). --regular-links-only: link groups count for
      regular files only (docs/FORMAT.md 9.4). --unreadable-placeholders: a
      file of A whose content could not be read (sha256=unreadable, non-root)
      is compared without size, sha256, sparse and xattrs. --max-lines N: print at
      most N differences (each cut to 2000 characters), still counting all.

  gen-random DIR [--seed N] [--entries N] [--depth D] [--wide W]
             [--max-file-kib K] [--no-special-links]
      A random tree for the generated round trips (test_generated.sh). The
      seed (random when not given) is printed on stderr, and the same seed
      gives the same tree. N random entries in random directories (nested at
      most 8 deep): regular files of every size class (0, 1, < 4 KiB, 4 KiB,
      up to 256 KiB, about 1 MiB, 2-3 MiB; capped by K KiB), sparse files
      (holes at the start, middle and end), hardlinks across directories,
      hardlinked fifos and symlinks (unless --no-special-links), symlinks
      (relative, absolute, dangling, up to 4095 bytes of any bytes), fifos,
      sockets, and as root character and block devices; names of any bytes
      but '/' and NUL, up to 255 bytes; then on every entry, bottom-up: as
      root random owners (uids up to 3,000,000,000), modes including setuid,
      setgid, sticky, 0000 and write-only, user.* xattrs of any bytes, and
      mtimes with nanoseconds, before 1970 too. Always sparse.tail (8 KiB of
      data and a 1000-byte hole at the end). --depth D: deep.chain, D nested
      directories of 1-3 byte names with files and links on the way and
      'bottom' at the end (paths far beyond PATH_MAX). --wide W: wide.dir
      with W entries. Prints JSON {"seed", "made": counts, "stats"}.

  mutate-random DIR --seed N [--ops K] [--max-file-kib K] [--deep-rel REL]
      K seeded changes: add (any kind of entry), delete (subtrees too),
      rename (within and across directories), rewrite (a range or all),
      truncate (shorter, or longer with a hole), change of type (file to
      directory, directory to file, other to fifo or file), chmod, touch,
      unlink of a hardlink member, and a rewrite keeping size and mtime
      (only the ctime tells). The directories of deep.chain and wide.dir
      itself stay. --deep-rel REL also adds a file at the bottom of the
      chain REL. Prints JSON {"seed", "ops"}.

  chain DIR
      Walks down while each directory holds exactly one subdirectory, any
      depth, keeping no paths; prints JSON {"depth", "bottom": {name: sha256
      of each regular file at the bottom}, "other", "subdirs_at_bottom"}.

  All walks (manifest, stats, mutate) are descriptor-relative and iterative:
  any depth, paths longer than PATH_MAX; the soft limit on open files is
  raised to the hard one (one descriptor per level is held).

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


# ------------------------------------------------------------------ walking

O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def raise_nofile():
    """Lift the soft limit on open files to the hard one: the walks below hold
    one descriptor per level of the directory being visited."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


def list_names(dfd):
    """Names in the directory open as dfd, as bytes, sorted."""
    return sorted(os.fsencode(n) for n in os.listdir(dfd))


def fdwalk(root, visit=None, leave=None):
    """Depth-first walk below root without recursion and with descriptor-relative
    calls only, so neither the depth nor the path length is limited (paths
    longer than PATH_MAX work). For each entry in sorted order calls
    visit(dfd, name, rel, st) (dfd: the open parent; rel: bytes path relative
    to root); after the contents of a directory, leave(dfd, name, rel, st).
    Returns [(rel, st, visit's result)]. A directory that cannot be opened
    (no permission as non-root) is listed without its contents."""
    raise_nofile()
    out = []
    rfd = os.open(root, O_DIR)
    stack = [(rfd, b"", iter(list_names(rfd)), None)]
    try:
        while stack:
            dfd, rel, it, me = stack[-1]
            name = next(it, None)
            if name is None:
                os.close(dfd)
                stack.pop()
                if me is not None and leave is not None:
                    pfd, pname, prel, pst = me
                    leave(pfd, pname, prel, pst)
                continue
            r = rel + b"/" + name if rel else name
            try:
                st = os.lstat(name, dir_fd=dfd)
            except PermissionError:
                continue  # listable, not searchable (non-root): names only
            extra = visit(dfd, name, r, st) if visit is not None else None
            out.append((r, st, extra))
            if stat.S_ISDIR(st.st_mode):
                try:
                    cfd = os.open(name, O_DIR, dir_fd=dfd)
                    names = list_names(cfd)
                except PermissionError:
                    if leave is not None:
                        leave(dfd, name, r, st)
                    continue
                stack.append((cfd, r, iter(names), (dfd, name, r, st)))
    finally:
        for entry in stack:
            try:
                os.close(entry[0])
            except OSError:
                pass
    return out


def walk(root):
    """(relative bytes path, lstat) for every entry below root, unsorted."""
    return [(r, st) for r, st, _ in fdwalk(root)]


def open_dir(root, rel):
    """A descriptor of the directory root/rel, opened one component at a time
    (any depth, any path length, no symlink followed). Caller closes."""
    fd = os.open(root, O_DIR)
    for part in rel.split(b"/") if rel else ():
        try:
            nfd = os.open(part, O_DIR, dir_fd=fd)
        finally:
            os.close(fd)
        fd = nfd
    return fd


def proc_path(dfd, name):
    """A short path naming dfd/name, for calls that take no dir_fd (xattrs)."""
    return b"/proc/self/fd/%d/" % dfd + name


def rmtree_at(dfd, name):
    """Remove dfd/name and everything below it, without recursion."""
    st = os.lstat(name, dir_fd=dfd)
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(name, dir_fd=dfd)
        return
    raise_nofile()
    os.chmod(name, 0o700, dir_fd=dfd)
    stack = [(dfd, name, os.open(name, O_DIR, dir_fd=dfd))]
    while stack:
        pfd, pname, fd = stack[-1]
        sub = None
        for n in list_names(fd):
            if stat.S_ISDIR(os.lstat(n, dir_fd=fd).st_mode):
                sub = n
                break
            os.unlink(n, dir_fd=fd)
        if sub is not None:
            os.chmod(sub, 0o700, dir_fd=fd)
            stack.append((fd, sub, os.open(sub, O_DIR, dir_fd=fd)))
            continue
        os.close(fd)
        stack.pop()
        os.rmdir(pname, dir_fd=pfd)


# ------------------------------------------------------------------ mutate

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


# ------------------------------------------------------ random trees (seeded)

# Sizes around the chunker's ~1 MiB average and beyond, and the small classes.
SIZE_CLASSES = ((0, 0), (1, 1), (2, 4095), (4096, 4096), (4097, 256 * KiB),
                (MiB - 300, MiB + 300), (2 * MiB, 3 * MiB))
FILE_MODES = (0o644, 0o600, 0o444, 0o755, 0o000, 0o200, 0o4755, 0o2755, 0o6711, 0o1644, 0o7777, 0o640)
DIR_MODES = (0o755, 0o700, 0o1777, 0o2775, 0o555, 0o500, 0o750, 0o711)
OWNERS = (0, 1, 12345, 65534, 3000000000)


def random_name(rng, taken, maxlen=255):
    """A new name for a directory: any bytes but '/' and NUL, 1 to maxlen
    bytes (mostly short, sometimes the maximum), not '.' or '..', not in taken."""
    while True:
        r = rng.random()
        if r < 0.6:
            n = rng.randint(1, 12)
        elif r < 0.9:
            n = rng.randint(13, 100)
        else:
            n = rng.choice((maxlen, rng.randint(101, maxlen)))
        kind = rng.random()
        if kind < 0.5:
            alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
            name = bytes(rng.choice(alphabet) for _ in range(n))
        else:
            name = bytes(rng.choice(ANY_BYTE) for _ in range(n))
        if name not in (b".", b"..") and name not in taken:
            taken.add(name)
            return name


ANY_BYTE = bytes(b for b in range(1, 256) if b != 0x2f)


def random_content(rng, n):
    """n bytes with no 4 KiB-aligned all-zero block: random, text, or a mix."""
    r = rng.random()
    if r < 0.5 or n < 64:
        return rand_bytes(rng, n)
    if r < 0.8:
        return text_bytes(rng, n)
    half = rng.randrange(0, n)
    return rand_bytes(rng, half) + text_bytes(rng, n - half)


def random_mtime_ns(rng):
    """Before 1970 sometimes, nanoseconds always."""
    s = rng.choice((rng.randrange(-2_000_000_000, 0), rng.randrange(0, 4_000_000_000),
                    BASE_TIME_S + rng.randrange(0, 86400 * 365), -1, 0))
    return s * 10**9 + rng.randrange(0, 10**9)


class RandomTree:
    """Builds a random tree with descriptor-relative calls only."""

    def __init__(self, root, rng):
        self.root = root
        self.rng = rng
        self.dirs = [b""]              # relative paths of directories one may add to
        self.taken = {b"": set()}      # names used per directory
        self.files = []                # (dir, name) of regular files, for hardlinks
        self.counts = {}

    def count(self, kind):
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def pick_dir(self):
        return self.rng.choice(self.dirs)

    def add_random(self, nested_max=8):
        rng = self.rng
        d = self.pick_dir()
        name = random_name(rng, self.taken[d])
        dfd = open_dir(self.root, d)
        try:
            kinds = ("dir", "dir", "file", "file", "file", "file", "file", "file", "sparse", "symlink",
                     "symlink", "hardlink", "hardlink", "fifo", "device", "socket", "hardlink_special")
            kind = rng.choice(kinds)
            rel = d + b"/" + name if d else name
            if kind == "dir" and d.count(b"/") < nested_max:
                os.mkdir(name, 0o755, dir_fd=dfd)
                self.dirs.append(rel)
                self.taken[rel] = set()
            elif kind == "sparse":
                self.sparse_file(dfd, name)
                self.files.append((d, name))
            elif kind == "symlink":
                os.symlink(self.random_target(d), name, dir_fd=dfd)
            elif kind == "hardlink" and self.files:
                sd, sn = rng.choice(self.files)
                sfd = open_dir(self.root, sd)
                try:
                    os.link(sn, name, src_dir_fd=sfd, dst_dir_fd=dfd, follow_symlinks=False)
                finally:
                    os.close(sfd)
            elif kind == "fifo":
                os.mkfifo(name, 0o644, dir_fd=dfd)
            elif kind == "device" and is_root():
                major, minor = rng.randrange(0, 4096), rng.randrange(0, 1 << 20)
                kindbit = rng.choice((stat.S_IFCHR, stat.S_IFBLK))
                os.mknod(name, kindbit | 0o600, os.makedev(major, minor), dir_fd=dfd)
            elif kind == "socket" and len(name) < 100:
                import socket
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                cwd = os.open(".", O_DIR)
                try:
                    os.fchdir(dfd)
                    s.bind(name)
                finally:
                    os.fchdir(cwd)
                    os.close(cwd)
                    s.close()
            elif kind == "hardlink_special" and self.special_links:
                # two names of one fifo or one symlink
                if rng.random() < 0.5:
                    os.mkfifo(name, 0o600, dir_fd=dfd)
                else:
                    os.symlink(self.random_target(d), name, dir_fd=dfd)
                od = self.pick_dir()
                other = random_name(rng, self.taken[od])
                ofd = open_dir(self.root, od)
                try:
                    os.link(name, other, src_dir_fd=dfd, dst_dir_fd=ofd, follow_symlinks=False)
                finally:
                    os.close(ofd)
            else:
                kind = "file"
                self.regular_file(dfd, name)
                self.files.append((d, name))
            self.count(kind)
        finally:
            os.close(dfd)

    def regular_file(self, dfd, name, size=None):
        rng = self.rng
        if size is None:
            lo, hi = rng.choice(SIZE_CLASSES)
            size = rng.randint(min(lo, self.max_file), min(hi, self.max_file))
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=dfd)
        with os.fdopen(fd, "wb") as f:
            left = size
            while left:
                k = min(left, 4 * MiB)
                f.write(random_content(rng, k))
                left -= k

    def sparse_file(self, dfd, name):
        """Holes at the start, between extents and at the end, in any mix."""
        rng = self.rng
        size = rng.randrange(0, 16) * MiB + rng.randrange(0, 64 * KiB)
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=dfd)
        with os.fdopen(fd, "wb") as f:
            for _ in range(rng.randrange(0, 4)):
                n = rng.randrange(1, 200 * KiB)
                off = rng.randrange(0, max(1, size - n))
                f.seek(off)
                f.write(rand_bytes(rng, n))
            f.truncate(size)

    def random_target(self, d):
        rng = self.rng
        r = rng.random()
        if r < 0.3 and self.files:
            fd_, fn = rng.choice(self.files)
            up = b"../" * (d.count(b"/") + 1 if d else 0)
            return up + (fd_ + b"/" + fn if fd_ else fn)
        if r < 0.45:
            return os.path.join(self.root, rng.choice(self.dirs))
        if r < 0.55:
            return rng.choice((b"/", b"/etc/passwd", b"..", b".", b"/nonexistent/x"))
        n = rng.choice((rng.randint(1, 60), rng.randint(1, 1000), 4095))
        return bytes(rng.choice(ANY_BYTE + b"/") for _ in range(n))

    def deep_chain(self, depth):
        """depth nested directories of 1 to 3 byte names under 'deep', with a
        file, a symlink or a fifo now and then, and a file at the bottom."""
        rng = self.rng
        fd = open_dir(self.root, b"")
        name = b"deep.chain"
        self.taken[b""].add(name)
        os.mkdir(name, dir_fd=fd)
        for level in range(depth):
            nfd = os.open(name, O_DIR, dir_fd=fd)
            os.close(fd)
            fd = nfd
            if level % 97 == 5:
                self.regular_file(fd, b"f", rng.randrange(0, 5000))
            elif level % 211 == 7:
                os.symlink(b"../" * min(level, 50), b"l", dir_fd=fd)
            name = bytes(rng.choice(ANY_BYTE) for _ in range(rng.randint(1, 3)))
            if name in (b".", b"..", b"f", b"l"):
                name = b"d"
            os.mkdir(name, dir_fd=fd)
        nfd = os.open(name, O_DIR, dir_fd=fd)
        os.close(fd)
        self.regular_file(nfd, b"bottom", 12345)
        os.close(nfd)
        self.counts["deep_levels"] = depth

    def wide_dir(self, count):
        """One directory with count entries: empty and tiny files, a few links."""
        rng = self.rng
        fd = open_dir(self.root, b"")
        name = b"wide.dir"
        self.taken[b""].add(name)
        os.mkdir(name, dir_fd=fd)
        wfd = os.open(name, O_DIR, dir_fd=fd)
        os.close(fd)
        alphabet = bytes(range(0x21, 0x7f)).replace(b"/", b"") + bytes(range(0x80, 0x100))
        taken = set()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        for i in range(count):
            n = rng.randint(4, 40)
            nm = bytes(rng.choice(alphabet) for _ in range(n))
            if nm in taken or nm in (b".", b".."):
                nm = b"w%d" % i
            taken.add(nm)
            if i % 1000 == 999:
                os.symlink(nm, nm + b".lnk" if nm + b".lnk" not in taken else b"l%d" % i, dir_fd=wfd)
            f = os.open(nm, flags, 0o644, dir_fd=wfd)
            if i % 10 == 0:
                os.write(f, b"%d\n" % i)
            os.close(f)
        os.close(wfd)
        self.counts["wide_entries"] = count

    def finish(self, meta_rng):
        """Owners, modes, xattrs and mtimes on every entry, bottom-up: children
        before their directory, and mtimes last."""
        rng = meta_rng
        root_ok = is_root()
        seen = set()
        xattrs_ok = [True]

        def meta(dfd, name, rel, st):
            if stat.S_ISDIR(st.st_mode) or (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
            else:
                return  # a later name of a hardlink group
            islnk = stat.S_ISLNK(st.st_mode)
            if root_ok and rng.random() < 0.3:
                os.chown(name, rng.choice(OWNERS), rng.choice(OWNERS), dir_fd=dfd, follow_symlinks=False)
            if not islnk:
                if stat.S_ISDIR(st.st_mode):
                    mode = rng.choice(DIR_MODES) if rng.random() < 0.5 else 0o755
                elif stat.S_ISREG(st.st_mode):
                    mode = rng.choice(FILE_MODES) if rng.random() < 0.6 else 0o644
                else:
                    mode = rng.choice((0o600, 0o644, 0o666, 0o000))
                if xattrs_ok[0] and not stat.S_ISSOCK(st.st_mode) and rng.random() < 0.2:
                    try:
                        for _ in range(rng.randint(1, 3)):
                            xn = b"user." + bytes(rng.choice(ANY_BYTE) for _ in range(rng.randint(1, 30)))
                            os.setxattr(proc_path(dfd, name), xn,
                                        rng.randbytes(rng.choice((0, 1, rng.randint(2, 300)))),
                                        follow_symlinks=False)
                    except OSError as e:
                        if e.errno in (95, 1):  # EOPNOTSUPP, EPERM (fifo/device on some kernels)
                            if e.errno == 95:
                                xattrs_ok[0] = False
                        else:
                            raise
                os.chmod(name, mode, dir_fd=dfd)
            t = random_mtime_ns(rng)
            os.utime(name, ns=(t, t), dir_fd=dfd, follow_symlinks=False)

        def meta_dir(dfd, name, rel, st):
            if not stat.S_ISDIR(st.st_mode):
                meta(dfd, name, rel, st)

        def leave(dfd, name, rel, st):
            meta(dfd, name, rel, st)

        fdwalk(self.root, meta_dir, leave)
        t = random_mtime_ns(rng)
        os.utime(self.root, ns=(t, t))


def cmd_gen_random(a):
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 31)
    print("gen-random: seed %d" % seed, file=sys.stderr)
    root = os.fsencode(os.path.abspath(a.dir))
    os.makedirs(root, exist_ok=True)
    if os.listdir(root):
        sys.exit("gen-random: %s is not empty" % a.dir)
    rng = random.Random(seed)
    t = RandomTree(root, rng)
    t.max_file = a.max_file_kib * KiB
    t.special_links = not a.no_special_links
    if a.depth:
        t.deep_chain(a.depth)
    if a.wide:
        t.wide_dir(a.wide)
    # always: a file whose hole at the end is shorter than a block
    fd = os.open(root, O_DIR)
    t.taken[b""].add(b"sparse.tail")
    f = os.open(b"sparse.tail", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=fd)
    os.write(f, rand_bytes(rng, 8192))
    os.ftruncate(f, 8192 + 1000)
    os.close(f)
    os.close(fd)
    for _ in range(a.entries):
        t.add_random()
    t.finish(random.Random(seed * 7919 + 1))
    out = {"seed": seed, "made": t.counts, "stats": tree_stats(root)}
    print(json.dumps(out, sort_keys=True))


def cmd_mutate_random(a):
    """Seeded changes of every kind, descriptor-relative (any depth)."""
    root = os.fsencode(os.path.abspath(a.dir))
    rng = random.Random(a.seed)
    t = RandomTree(root, rng)
    t.max_file = a.max_file_kib * KiB
    t.special_links = True
    entries = sorted(walk(root), key=lambda e: e[0])
    root_ok = is_root()
    usable = [(r, st) for r, st in entries if root_ok or os.access(os.path.join(root, r) if
                                                                   len(r) < 3000 else root, os.W_OK)]
    t.dirs = [b""] + [r for r, st in usable if stat.S_ISDIR(st.st_mode) and r.count(b"/") < 40]
    t.files = [tuple(r.rsplit(b"/", 1)) if b"/" in r else (b"", r) for r, st in usable
               if stat.S_ISREG(st.st_mode) and r.count(b"/") < 40]
    for d in t.dirs:
        t.taken[d] = set()
    # the directories of a deep chain stay (a deleted or renamed level would
    # make the chain shallow); its files and links change like the others
    usable = [(r, st) for r, st in usable if not (r.startswith(b"deep.chain") and stat.S_ISDIR(st.st_mode))
              and r != b"wide.dir"]
    # entries of a wide directory would be picked nearly always: a fifth of the picks
    usable_wide = [e for e in usable if e[0].startswith(b"wide.dir/")]
    usable_other = [e for e in usable if not e[0].startswith(b"wide.dir/")]
    log = []
    gone = set()

    def split(rel):
        return tuple(rel.rsplit(b"/", 1)) if b"/" in rel else (b"", rel)

    def alive(rel):
        return not any(rel == g or rel.startswith(g + b"/") for g in gone)

    def fresh(d):
        dfd = open_dir(root, d)
        try:
            names = set(list_names(dfd))
        finally:
            os.close(dfd)
        return random_name(rng, t.taken.setdefault(d, set()) | names)

    ops = ("add", "add", "delete", "rename", "rewrite", "rewrite", "truncate", "type",
           "chmod", "touch", "same_size_same_mtime", "unlink_hardlink")
    done = 0
    attempts = 0
    while done < a.ops and attempts < a.ops * 20:
        attempts += 1
        op = rng.choice(ops)
        pool = usable_wide if usable_wide and (not usable_other or rng.random() < 0.2) else usable_other
        rel, st = rng.choice(pool) if pool else (None, None)
        if op == "add":
            # the directory or the file to link may be gone, a name may be taken
            # (or, as non-root, not writable)
            try:
                t.add_random()
            except (FileNotFoundError, NotADirectoryError, FileExistsError, PermissionError):
                continue
            log.append("add")
            done += 1
            continue
        if rel is None or not alive(rel):
            continue
        d, name = split(rel)
        try:
            dfd = open_dir(root, d)
        except OSError:
            continue
        try:
            try:
                cur = os.lstat(name, dir_fd=dfd)
            except FileNotFoundError:
                continue
            if not root_ok and not os.access(proc_path(dfd, b""), os.W_OK):
                continue  # as non-root, directories without write permission stay
            isreg = stat.S_ISREG(cur.st_mode)
            isdir = stat.S_ISDIR(cur.st_mode)
            if op == "delete":
                rmtree_at(dfd, name)
                gone.add(rel)
            elif op == "rename":
                if isdir or rng.random() < 0.5:
                    nd, nfd = d, dfd
                else:
                    nd = rng.choice([x for x in t.dirs if alive(x)] or [b""])
                    nfd = open_dir(root, nd)
                try:
                    nn = fresh(nd)
                    os.rename(name, nn, src_dir_fd=dfd, dst_dir_fd=nfd)
                finally:
                    if nfd != dfd:
                        os.close(nfd)
                gone.add(rel)
            elif op in ("rewrite", "same_size_same_mtime") and isreg:
                fd = os.open(name, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
                with os.fdopen(fd, "r+b") as f:
                    size = cur.st_size
                    if op == "same_size_same_mtime" or (size and rng.random() < 0.6):
                        n = min(size, rng.randrange(1, 64 * KiB)) if size else 0
                        f.seek(rng.randrange(0, size - n + 1) if size else 0)
                        f.write(rand_bytes(rng, n))
                    else:
                        f.truncate(0)
                        f.write(random_content(rng, rng.randint(0, min(t.max_file, 2 * MiB))))
                if op == "same_size_same_mtime":
                    # content changes, size and mtime do not (only ctime tells)
                    os.utime(name, ns=(cur.st_atime_ns, cur.st_mtime_ns), dir_fd=dfd, follow_symlinks=False)
            elif op == "truncate" and isreg:
                fd = os.open(name, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
                try:
                    os.ftruncate(fd, rng.choice((0, cur.st_size // 2, cur.st_size + rng.randrange(1, 3 * MiB))))
                finally:
                    os.close(fd)
            elif op == "type":
                # a path changes type: file -> dir, dir -> file, symlink/other -> file or fifo
                rmtree_at(dfd, name)
                if isreg:
                    os.mkdir(name, dir_fd=dfd)
                    nfd = os.open(name, O_DIR, dir_fd=dfd)
                    try:
                        t.regular_file(nfd, b"was_a_file", rng.randrange(0, 10000))
                    finally:
                        os.close(nfd)
                elif isdir:
                    t.regular_file(dfd, name, rng.randrange(0, 10000))
                    gone.add(rel)
                elif rng.random() < 0.5:
                    os.mkfifo(name, 0o640, dir_fd=dfd)
                else:
                    t.regular_file(dfd, name, rng.randrange(0, 10000))
            elif op == "chmod" and not stat.S_ISLNK(cur.st_mode) and (root_ok or not isdir):
                os.chmod(name, rng.choice(FILE_MODES + DIR_MODES), dir_fd=dfd)
            elif op == "touch":
                tm = random_mtime_ns(rng)
                os.utime(name, ns=(tm, tm), dir_fd=dfd, follow_symlinks=False)
            elif op == "unlink_hardlink" and cur.st_nlink > 1 and not isdir:
                os.unlink(name, dir_fd=dfd)
                gone.add(rel)
            else:
                continue
            log.append("%s %s" % (op, esc(rel)))
            done += 1
        finally:
            os.close(dfd)
    if a.deep_rel:
        # one change at the bottom of a deep chain: a new file next to 'bottom'
        fdwalk_bottom_add(root, a.deep_rel, rng)
        log.append("deep-add")
    report = {"seed": a.seed, "ops": log}
    print(json.dumps(report))


def fdwalk_bottom_add(root, top, rng):
    """Add a file in the deepest directory below root/top (a chain)."""
    raise_nofile()
    fd = open_dir(root, os.fsencode(top))
    while True:
        subs = [n for n in list_names(fd) if stat.S_ISDIR(os.lstat(n, dir_fd=fd).st_mode)]
        if not subs:
            break
        nfd = os.open(subs[0], O_DIR, dir_fd=fd)
        os.close(fd)
        fd = nfd
    f = os.open(b"added_at_bottom", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644, dir_fd=fd)
    os.write(f, rand_bytes(rng, 777))
    os.close(f)
    os.close(fd)


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


def sha256_file(path, dir_fd=None, ret_hole=None):
    """Hex SHA-256 of a regular file's content, or "unreadable" when it cannot
    be opened (a file without read permission, as non-root). With ret_hole (a
    list), appends whether the file has a hole (SEEK_HOLE before its end;
    st_blocks would count the blocks of xattrs too)."""
    h = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    except PermissionError:
        return "unreadable"
    if ret_hole is not None:
        size = os.fstat(fd).st_size
        try:
            ret_hole.append(size > 0 and os.lseek(fd, 0, os.SEEK_HOLE) < size)
        except OSError:
            pass
        os.lseek(fd, 0, os.SEEK_SET)
    with os.fdopen(fd, "rb") as f:
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


def entry_fields(st, sha, target, xattrs, hole=None):
    """The manifest fields of one entry but its link group."""
    mode = st.st_mode
    t = type_char(mode)
    if hole is None:
        hole = st.st_blocks * 512 < st.st_size
    return (t, stat.S_IMODE(mode), st.st_uid, st.st_gid, "-" if t == "d" else str(st.st_size),
            st.st_mtime_ns, sha, target,
            "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)) if t in "cb" else "-",
            xattrs, ("1" if hole else "0") if t == "f" else "-")


def manifest_lines(root, only=(), with_parents=False):
    root = os.fsencode(os.path.abspath(root))

    def visit(dfd, name, rel, st):
        t = type_char(st.st_mode)
        hole = []
        sha = sha256_file(name, dfd, hole) if t == "f" else "-"
        target = esc(os.readlink(name, dir_fd=dfd)) if t == "l" else "-"
        return entry_fields(st, sha, target, xattr_list(proc_path(dfd, name)), hole[0] if hole else None)

    rst = os.lstat(root)
    entries = [(b".", rst, entry_fields(rst, "-", "-", xattr_list(root)))] + fdwalk(root, visit)
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
    for rel, st, _ in entries:
        if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
            groups.setdefault((st.st_dev, st.st_ino), []).append(rel)
    lines = []
    for rel, st, f in entries:
        g = groups.get((st.st_dev, st.st_ino), [])
        link = esc(g[0]) if len(g) >= 2 else "-"
        lines.append("%s type=%s mode=%04o uid=%d gid=%d size=%s mtime_ns=%d sha256=%s "
                     "target=%s rdev=%s xattrs=%s link=%s sparse=%s" % (
                         (esc(rel),) + f[:10] + (link, f[10])))
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
    if a.regular_links_only:
        # docs/FORMAT.md 9.4: only regular files are linked again on restore
        for m in (A, B):
            for f in m.values():
                if f.get("type") != "f":
                    f["link"] = "-"
    diffs = 0

    def say(text):
        if not a.max_lines or diffs < a.max_lines:
            print(text if not a.max_lines else text[:2000])
    for name in sorted(set(A) | set(B)):
        if name not in B:
            say("only in %s: %s (%s)" % (a.a, name, A[name].get("type")))
            diffs += 1
        elif name not in A:
            say("only in %s: %s (%s)" % (a.b, name, B[name].get("type")))
            diffs += 1
        else:
            fa, fb = A[name], B[name]
            for k in sorted(set(fa) | set(fb)):
                if k in ignore:
                    continue
                if a.unreadable_placeholders and fa.get("sha256") == "unreadable" and \
                        k in ("sha256", "size", "sparse", "xattrs"):
                    continue  # backed up without content or xattrs: restored as a placeholder
                if fa.get(k) != fb.get(k):
                    say("differs: %s: %s: %s != %s" % (name, k, fa.get(k), fb.get(k)))
                    diffs += 1
    if diffs:
        print("%d difference(s) between %s and %s" % (diffs, a.a, a.b))
        return 1
    return 0


# ------------------------------------------------------------------- chain

def cmd_chain(a):
    """Descend from DIR while a directory holds exactly one subdirectory (no
    paths kept: any depth); print JSON {"depth": directories below DIR,
    "bottom": {name: sha256 of each regular file at the bottom}, "other":
    count of non-directories met on the way}."""
    raise_nofile()
    fd = os.open(os.fsencode(a.dir), O_DIR)
    depth = other = 0
    while True:
        names = list_names(fd)
        subs = [n for n in names if stat.S_ISDIR(os.lstat(n, dir_fd=fd).st_mode)]
        if len(subs) != 1:
            break
        other += len(names) - 1
        nfd = os.open(subs[0], O_DIR, dir_fd=fd)
        os.close(fd)
        fd = nfd
        depth += 1
    bottom = {os.fsdecode(n): sha256_file(n, fd) for n in names
              if stat.S_ISREG(os.lstat(n, dir_fd=fd).st_mode)}
    os.close(fd)
    print(json.dumps({"depth": depth, "bottom": bottom, "other": other, "subdirs_at_bottom": len(subs)},
                     sort_keys=True))


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
    p = sub.add_parser("gen-random")
    p.add_argument("dir")
    p.add_argument("--seed", type=int)
    p.add_argument("--entries", type=int, default=300)
    p.add_argument("--depth", type=int, default=0)
    p.add_argument("--wide", type=int, default=0)
    p.add_argument("--max-file-kib", type=int, default=3 * 1024)
    p.add_argument("--no-special-links", action="store_true")
    p.set_defaults(fn=cmd_gen_random)
    p = sub.add_parser("mutate-random")
    p.add_argument("dir")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--ops", type=int, default=40)
    p.add_argument("--max-file-kib", type=int, default=3 * 1024)
    p.add_argument("--deep-rel")
    p.set_defaults(fn=cmd_mutate_random)
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
    p.add_argument("--regular-links-only", action="store_true")
    p.add_argument("--unreadable-placeholders", action="store_true")
    p.add_argument("--max-lines", type=int, default=0)
    p.set_defaults(fn=cmd_compare)
    p = sub.add_parser("chain")
    p.add_argument("dir")
    p.set_defaults(fn=cmd_chain)
    p = sub.add_parser("stats")
    p.add_argument("dir")
    p.set_defaults(fn=cmd_stats)
    a = ap.parse_args()
    return a.fn(a) or 0


if __name__ == "__main__":
    sys.exit(main())
