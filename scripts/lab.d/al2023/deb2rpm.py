#!/usr/bin/env python3
"""Honest RPMs from Debian's binaries, under Amazon Linux 2023's names.

deb2rpm.py DEBS_DIR OUT_DIR WORK_DIR [TABLE DIST]
Each .deb in DEBS_DIR is unpacked and rebuilt with rpmbuild as the RPM that `packages` names
(unlisted ones keep their Debian name); files/RPM/ adds the Fedora-layout files of that RPM.
Another kind (al2) passes its own TABLE and dist tag (amzn2): its lines `= NAME AL2023NAME`
say that NAME is built as AL2023NAME is (same files/, requires, scriptlets).
rpm's ELF dependency generator writes Requires/Provides from the sonames, so dnf resolves
real dependencies. A few RPMs are made from files/ alone (httpd, httpd-filesystem, php8.2).
"""
import os, re, shutil, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
debs_dir, out_dir, work = sys.argv[1:4]
table_path = sys.argv[4] if len(sys.argv) > 4 else os.path.join(HERE, "packages")
dist = sys.argv[5] if len(sys.argv) > 5 else "amzn2023"

table = {}
built_as = {}   # this kind's RPM name -> the AL2023 RPM whose recipe it uses
for line in open(table_path):
    line = line.split("#", 1)[0].split()
    if line and line[0] == "=":
        built_as[line[1]] = line[2]
    elif line:
        table[line[0]] = (line[1], line[2:])
renamed = {al2023: name for name, al2023 in built_as.items()}

# Per RPM: explicit Requires, directories it owns with their modes, scriptlets.
EXTRA = {
    "httpd-filesystem": dict(
        dirs=["%attr(0755,root,root) /etc/httpd", "/etc/httpd/conf", "/etc/httpd/conf.d", "/etc/httpd/conf.modules.d",
              "/var/www", "/var/www/html", "/var/www/cgi-bin", "%attr(0700,root,root) /var/log/httpd"],
        pre="getent group apache >/dev/null || groupadd -g 48 -r apache\n"
            "getent passwd apache >/dev/null || useradd -r -u 48 -g apache -s /sbin/nologin -d /usr/share/httpd -c Apache apache\n"),
    "httpd": dict(requires=["httpd-core", "httpd-filesystem", "mailcap"], systemd=["httpd.service"],
                  symlinks={"/etc/httpd/logs": "../../var/log/httpd", "/etc/httpd/run": "/run/httpd",
                            "/etc/httpd/modules": "../../usr/lib64/httpd/modules",
                            "/usr/lib64/httpd/modules": "../../lib/apache2/modules"}),
    "php8.2-common": dict(dirs=["/etc/php.d", "%attr(0770,root,apache) /var/lib/php/session"], requires=["httpd-filesystem"]),
    "php8.2-cli": dict(requires=["php8.2-common"]),
    "php8.2-fpm": dict(requires=["php8.2-common", "httpd-filesystem"], systemd=["php-fpm.service"],
                       dirs=["/etc/php-fpm.d", "%attr(0770,root,apache) /var/log/php-fpm"]),
    "php8.2": dict(requires=["php8.2-cli", "php8.2-common"], provides=["php"]),
}
for ext in ("mysqlnd", "gd", "xml", "mbstring", "opcache", "readline"):
    EXTRA.setdefault("php8.2-" + ext, {})["requires"] = ["php8.2-common"]

def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout

def rpm_version(deb_version):
    v = deb_version.split(":", 1)[-1]
    up, _, rel = v.rpartition("-") if "-" in v else (v, "", "0")
    return up.replace("-", "_"), (rel or "0").replace("-", "_") + "." + dist

def build(name, version, release, stage, summary):
    recipe = built_as.get(name, name)
    extra = dict(EXTRA.get(recipe, {}))
    extra["requires"] = [renamed.get(r, r) for r in extra.get("requires", [])]
    extra["provides"] = [p for p in extra.get("provides", []) if p != name]
    provides = table_provides.get(name, []) + extra.get("provides", [])
    # Fedora-layout files and symlinks of this RPM.
    src = os.path.join(HERE, "files", recipe)
    if os.path.isdir(src):
        shutil.copytree(src, stage, symlinks=True, dirs_exist_ok=True)
    for link, target in extra.get("symlinks", {}).items():
        os.makedirs(os.path.dirname(stage + link), exist_ok=True)
        os.symlink(target, stage + link)
    for d in extra.get("dirs", []):
        os.makedirs(stage + d.split()[-1], exist_ok=True)
    # PHP extensions: Debian's ini templates become /etc/php.d/NN-name.ini as on Fedora.
    for root, _, files in os.walk(os.path.join(stage, "usr/share")):
        if not re.search(r"/usr/share/php8\.2-[a-z]+/[a-z]+$", root):
            continue
        for f in files:
            if f.endswith(".ini"):
                text = open(os.path.join(root, f)).read()
                prio = (re.search(r"priority=(\d+)", text) or re.search("(20)", "20")).group(1)
                os.makedirs(os.path.join(stage, "etc/php.d"), exist_ok=True)
                with open(os.path.join(stage, "etc/php.d", "%s-%s" % (prio, f)), "w") as out:
                    out.write(text)
    if recipe == "php8.2-common":
        shutil.copy(os.path.join(stage, "usr/lib/php/8.2/php.ini-production"), os.path.join(stage, "etc/php.ini"))
    owned_dirs = {d.split()[-1] for d in extra.get("dirs", [])}
    lines = []
    for root, dirs, files in os.walk(stage):
        for entry in sorted(files + [d for d in dirs if os.path.islink(os.path.join(root, d))]):
            p = os.path.join(root, entry)[len(stage):]
            lines.append(('%config(noreplace) ' if p.startswith("/etc/") and not os.path.islink(stage + p) else "") + '"%s"' % p)
    lines += ["%dir " + d for d in extra.get("dirs", [])]
    filelist = os.path.join(work, name + ".files")
    open(filelist, "w").write("\n".join(lines) + "\n")
    post = ""
    if extra.get("systemd"):
        units = " ".join(extra["systemd"])
        # Like Fedora's %systemd_post and systemd's file trigger: reload, then apply the preset policy.
        post = ("if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || :; fi\n"
                "if [ $1 -eq 1 ]; then systemctl --no-reload preset %s >/dev/null 2>&1 || :; fi\n" % units)
    arch = "x86_64" if has_elf(stage) else "noarch"
    provides_lines = "".join("Provides: %s = %s-%s\n" % (p, version, release) for p in provides)
    requires_lines = "".join("Requires: %s\n" % r for r in extra.get("requires", []))
    pre = ("%pre\n" + extra["pre"]) if extra.get("pre") else ""
    post = ("%post\n" + post) if post else ""
    spec = f"""
%define __os_install_post %{{nil}}
%define debug_package %{{nil}}
%define _build_id_links none
%global __requires_exclude ^(perl|python|/usr/bin/perl|/usr/bin/python|/usr/bin/env)
%define _binary_payload w1.gzdio
Name: {name}
Version: {version}
Release: {release}
Summary: {summary}
License: see /usr/share/doc in Debian
BuildArch: {arch}
{provides_lines}{requires_lines}
%description
{summary} (provision lab: rebuilt from Debian's binaries under Amazon Linux's name)
{pre}
{post}
%install
cp -a {stage}/. %{{buildroot}}/
%files -f {filelist}
"""
    specfile = os.path.join(work, name + ".spec")
    open(specfile, "w").write(spec)
    r = subprocess.run(["rpmbuild", "-bb", "--quiet", "--define", "_topdir " + os.path.join(work, "rpmbuild"),
                        "--define", "_rpmdir " + out_dir, "--define", "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
                        specfile], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("rpmbuild %s failed:\n%s" % (name, r.stderr[-3000:]))

def has_elf(stage):
    for root, _, files in os.walk(stage):
        for f in files:
            p = os.path.join(root, f)
            if not os.path.islink(p):
                with open(p, "rb") as fh:
                    if fh.read(4) == b"\x7fELF":
                        return True
    return False

table_provides = {rpm: provides for rpm, provides in table.values() if rpm != "-"}
os.makedirs(out_dir, exist_ok=True)
count = 0
for deb in sorted(os.listdir(debs_dir)):
    if not deb.endswith(".deb"):
        continue
    path = os.path.join(debs_dir, deb)
    pkg, ver = sh("dpkg-deb", "-f", path, "Package", "Version").split("\n")[:2]
    pkg, ver = pkg.split(": ", 1)[1], ver.split(": ", 1)[1]
    rpm = table.get(pkg, (pkg, []))[0]
    if rpm == "-":
        continue
    stage = os.path.join(work, "stage", rpm)
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(stage)
    sh("dpkg-deb", "-x", path, stage)
    # Debian's own layout for these (init scripts, /etc/php/8.2, units) is not what AL ships.
    for junk in ("usr/share/doc", "usr/share/man", "usr/share/lintian", "etc/init.d", "etc/logrotate.d",
                 "etc/cron.d", "lib/systemd", "usr/lib/systemd/system/php8.2-fpm.service", "etc/php", "etc/apache2",
                 "usr/lib/tmpfiles.d", "etc/mysql"):
        p = os.path.join(stage, junk)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        elif os.path.lexists(p):
            os.unlink(p)
    v, r = rpm_version(ver)
    build(rpm, v, r, stage, "%s (Debian %s %s)" % (rpm, pkg, ver))
    count += 1
for meta, base_deb in (("httpd", "apache2-bin"), ("httpd-filesystem", "apache2-bin"), (renamed.get("php8.2", "php8.2"), "php8.2-cli")):
    ver = next(sh("dpkg-deb", "-f", os.path.join(debs_dir, d), "Version").strip()
               for d in os.listdir(debs_dir) if d.startswith(base_deb + "_"))
    stage = os.path.join(work, "stage", meta)
    shutil.rmtree(stage, ignore_errors=True); os.makedirs(stage)
    v, r = rpm_version(ver)
    build(meta, v, r, stage, meta)
    count += 1
print("%d RPMs in %s" % (count, out_dir))
