#!/usr/bin/env python3
"""Turn Debian's extracted `wordpress` package (+ the packages its symlinks point into)
into an upstream-shaped tree: wp-flatten.py EXTRACTED_ROOT OUT_DIR (OUT_DIR = .../wordpress).

- drops Debian's stub wp-config.php and the .htaccess link into /etc/wordpress
- replaces every symlink by a real copy of its target, resolved inside EXTRACTED_ROOT
  (ca-bundle.crt -> /etc/ssl/certs/ca-certificates.crt is built from the
  ca-certificates package's Mozilla certificates, as update-ca-certificates would)
- keeps the default themes (the wordpress-theme-* packages install into wp-content/themes)
- fails if any symlink remains, or wp-includes/version.php or a default theme is missing
"""
import os, shutil, sys, glob

root, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
src = os.path.join(root, "usr/share/wordpress")
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

def inside(path):
    """Resolve a path that is meant as absolute on the target system inside root."""
    p = path
    for _ in range(40):
        rel = os.path.relpath(p, "/")
        cur = "/"
        parts = rel.split(os.sep)
        changed = False
        for i, part in enumerate(parts):
            nxt = os.path.normpath(os.path.join(cur, part))
            real = os.path.join(root, nxt.lstrip("/"))
            if os.path.islink(real):
                t = os.readlink(real)
                t = t if t.startswith("/") else os.path.normpath(os.path.join(cur, t))
                p = os.path.normpath(os.path.join(t, *parts[i + 1:]))
                changed = True
                break
            cur = nxt
        if not changed:
            return os.path.join(root, cur.lstrip("/"))
    raise SystemExit(f"symlink loop resolving {path}")

def ca_bundle(dst):
    certs = sorted(glob.glob(os.path.join(root, "usr/share/ca-certificates/mozilla/*.crt")))
    if not certs:
        raise SystemExit("ca-certificates package not extracted: cannot build ca-bundle.crt")
    with open(dst, "w") as f:
        for c in certs:
            with open(c) as cf:
                data = cf.read()
            f.write(data if data.endswith("\n") else data + "\n")

if os.path.exists(out):
    shutil.rmtree(out)
shutil.copytree(src, out, symlinks=True)
for stub in ("wp-config.php", ".htaccess"):
    p = os.path.join(out, stub)
    if os.path.lexists(p):
        os.remove(p)

replaced = 0
for dirpath, dirnames, filenames in os.walk(out):
    for n in dirnames + filenames:
        p = os.path.join(dirpath, n)
        if not os.path.islink(p):
            continue
        target = os.readlink(p)
        sysdir = "/" + os.path.relpath(os.path.join(src, os.path.relpath(dirpath, out)), root)
        abs_target = target if target.startswith("/") else os.path.normpath(os.path.join(sysdir, target))
        os.remove(p)
        if abs_target == CA_BUNDLE:
            ca_bundle(p)
        else:
            real = inside(abs_target)
            if os.path.isdir(real):
                shutil.copytree(real, p, symlinks=False)
            elif os.path.isfile(real):
                shutil.copy2(real, p)
            else:
                raise SystemExit(f"{os.path.relpath(p, out)} -> {target}: target not in the extracted packages")
        replaced += 1

left = [os.path.join(d, n) for d, ds, fs in os.walk(out) for n in ds + fs if os.path.islink(os.path.join(d, n))]
if left:
    raise SystemExit("symlinks remain: " + ", ".join(left))
for must in ("wp-includes/version.php", "wp-login.php", "wp-admin/install.php",
             "wp-content/themes/twentytwentyone/style.css", "wp-content/themes/twentytwentytwo/style.css",
             "wp-content/themes/twentytwentythree/style.css", "wp-includes/ID3/getid3.php"):
    if not os.path.isfile(os.path.join(out, must)):
        raise SystemExit(f"missing {must}")
print(f"wp-flatten: {replaced} symlinks replaced by files", file=sys.stderr)
