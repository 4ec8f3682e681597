#!/usr/bin/env python3
"""provision, Ansible, pyinfra and plain ssh on the same lab hosts (benchmarks/run calls this).

For each N: every tool gets fresh hosts (`lab up N`), one timed first run, a no-op check
run (its changed count and peak RSS), then hyperfine times no-op re-runs (warm-up
excluded, median reported). The floor, one ssh round trip per host checking the same
state in parallel, is timed on the hosts provision converged. Writes RESULTS.md.
"""
import json
import os
import platform
import re
import secrets
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LAB = Path(os.environ.get("PROVISION_LAB", "/var/tmp/provision-lab"))
WORK = Path(os.environ.get("PROVISION_BENCH", "/var/tmp/provision-bench"))
LAB_CMD = str(REPO / "scripts/lab")
PROVISION = str(REPO / ".build/release/provision")
ANSIBLE = WORK / "ansible/bin/ansible-playbook"
PYINFRA = WORK / "pyinfra/bin/pyinfra"
DB_HOST = "10.0.20.10"
SALTS = ["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
         "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"]


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def sh(args, **kw):
    return subprocess.run(args, check=True, text=True, **kw)


def web_hosts(n):
    return [f"web-{i}" for i in range(1, n + 1)]


def web_ip(name):
    return f"10.0.{9 + int(name.split('-')[1])}.10"


class Variables:
    """The same variables for every tool: lab addresses, generated secrets."""

    def __init__(self):
        token = lambda: secrets.token_urlsafe(32)
        self.values = {
            "db_host": DB_HOST, "db_port": 3306, "db_name": "wordpress", "db_user": "wordpress",
            "db_admin_user": "admin", "db_admin_password": (LAB / "db_admin_password").read_text().strip(),
            "db_password": token(), "db_charset": "utf8mb4", "db_table_prefix": "wp_",
            "wordpress_salts": {name: token() for name in SALTS}, "wordpress_admin_password": token(),
            "wordpress_archive": str(LAB / "wordpress.tar.gz"),
        }
        WORK.mkdir(parents=True, exist_ok=True)
        # YAML in block style (provision adds a generated secret it misses as a YAML line).
        self.secrets_file = WORK / "secrets.yml"
        self.write_yaml(self.secrets_file, {k: self.values[k] for k in ("db_admin_password", "db_password", "wordpress_salts",
                                                                         "wordpress_admin_password")})
        self.all_file = WORK / "vars.json"
        self.write(self.all_file, self.values)

    @staticmethod
    def write_yaml(path, data):
        """Flat names, one level of nesting; each scalar JSON-quoted (a valid YAML scalar)."""
        lines = []
        for key, value in data.items():
            if isinstance(value, dict):
                lines += [f"{key}:"] + [f"  {k}: {json.dumps(v)}" for k, v in value.items()]
            else:
                lines.append(f"{key}: {json.dumps(value)}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")

    @staticmethod
    def write(path, data):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)


class Run:
    def __init__(self, seconds, rss_kb, changed, status, output):
        self.seconds, self.rss_kb, self.changed, self.status, self.output = seconds, rss_kb, changed, status, output


def timed(command):
    """One run under /usr/bin/time -v: wall seconds, peak RSS, output."""
    rss_file = WORK / "time.txt"
    began = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-v", "-o", str(rss_file), *command], capture_output=True, text=True)
    seconds = time.monotonic() - began
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", rss_file.read_text()).group(1))
    return seconds, rss, proc.returncode, proc.stdout + proc.stderr


class Tool:
    name = ""

    def prepare(self, n, variables):
        pass

    def command(self, n):
        raise NotImplementedError

    def changed(self, output):
        raise NotImplementedError

    extra_env = {}
    cwd = str(REPO)

    def script(self, n):
        """The run as one executable file, so /usr/bin/time and hyperfine time the same thing."""
        path = WORK / f"run-{self.name.lower()}-{n}.sh"
        exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in self.extra_env.items())
        path.write_text(f"#!/bin/sh\ncd {shlex.quote(self.cwd)}\n{exports}exec {shlex.join(self.command(n))}\n")
        path.chmod(0o700)
        return str(path)

    def run(self, n):
        seconds, rss, status, output = timed([self.script(n)])
        return Run(seconds, rss, self.changed(output) if status == 0 else None, status, output)


class Provision(Tool):
    name = "provision"

    def prepare(self, n, variables):
        self.variables = variables

    def command(self, n):
        return [PROVISION, "-i", str(LAB / "inventory.yml"), "-F", str(LAB / "ssh_config"),
                "-e", f"secrets_file={self.variables.secrets_file}", "-e", f"db_host={DB_HOST}", "-e", "db_via=web-1",
                "-e", f"wordpress_archive={LAB / 'wordpress.tar.gz'}", "--json", *web_hosts(n)]

    def changed(self, output):
        recap = [json.loads(line) for line in output.splitlines() if line.startswith("{")][-1]
        return sum(h["changed"] for h in recap["hosts"].values())


class Ansible(Tool):
    name = "Ansible"
    cwd = str(REPO / "benchmarks/ansible")

    def prepare(self, n, variables):
        self.variables = variables
        control = WORK / f"ansible-cp-{n}"
        control.mkdir(exist_ok=True)
        self.extra_env = dict(ANSIBLE_CONFIG=str(REPO / "benchmarks/ansible/ansible.cfg"),
                        ANSIBLE_SSH_CONTROL_PATH_DIR=str(control), ANSIBLE_FORKS=str(max(20, n)),
                        ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=60s -o KexAlgorithms=curve25519-sha256 "
                                         f"-o UserKnownHostsFile={LAB / 'known_hosts'} -o StrictHostKeyChecking=yes")

    def command(self, n):
        return [str(ANSIBLE), "-i", str(LAB / "inventory.yml"), "-l", ",".join(web_hosts(n)),
                "-e", f"@{self.variables.all_file}", "site.yml"]

    def changed(self, output):
        return sum(int(c) for c in re.findall(r"^\S+\s+:\s+ok=\d+\s+changed=(\d+)", output, re.M))


class Pyinfra(Tool):
    name = "pyinfra"
    cwd = str(REPO / "benchmarks/pyinfra")

    def prepare(self, n, variables):
        data = dict(variables.values, first_web_host="web-1", template_dir=str(REPO / "templates"),
                    ssh_user="ec2-user", ssh_key=str(LAB / "id_ed25519"), ssh_known_hosts_file=str(LAB / "known_hosts"),
                    ssh_strict_host_key_checking="yes")
        self.inventory = WORK / f"pyinfra-inventory-{n}.py"
        hosts = [(h, {"ssh_hostname": web_ip(h)}) for h in web_hosts(n)]
        self.inventory.write_text(f"web = ({hosts!r}, {data!r})\n")
        os.chmod(self.inventory, 0o600)

    def command(self, n):
        return [str(PYINFRA), "-y", "--parallel", str(max(20, n)), str(self.inventory), "deploy.py"]

    def changed(self, output):
        # pyinfra's results table: "Success" counts operations that ran (changed something).
        total = re.search(r"^\s*Grand total\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", output, re.M)
        if not total:
            raise ValueError("no results table in pyinfra's output")
        return 0 if total.group(2) == "-" else int(total.group(2))


FLOOR_CHECK = r"""
s=0
dpkg-query -W -f='${db:Status-Status}\n' apache2 libapache2-mod-php php-mysql php-mbstring php-xml curl | grep -vqx installed && s=1
# pending upgrades: apt-get -s upgrade, its answer kept while the lists and dpkg's status
# are unchanged (the same shortcut provision takes; the warm-up run fills it)
stamp=$(stat -c %Y.%Z /var/lib/dpkg/status /var/lib/apt/lists | tr '\n' ' ')
c=/tmp/floor-upgradable
[ -r $c ] && [ "$(head -n 1 $c)" = "$stamp" ] || printf '%s\n%s\n' "$stamp" "$(apt-get -s -q upgrade 2>/dev/null | grep '^Inst ')" > $c
[ -z "$(tail -n +2 $c)" ] || s=1
sudo -n /usr/sbin/service apache2 status >/dev/null 2>&1 || s=1
ls /etc/rc2.d/S*apache2 >/dev/null 2>&1 || s=1
[ -f /etc/apache2/conf-enabled/wordpress.conf ] && grep -q 'DirectoryIndex index.php' /etc/apache2/conf-enabled/wordpress.conf || s=1
[ "$(stat -c %U /var/www/html/wp-login.php)" = www-data ] || s=1
sudo -n sha256sum /var/www/html/wp-config.php | grep -q "^$1 " || s=1
[ "$(stat -c %a:%U:%G /var/www/html/wp-config.php)" = 640:root:www-data ] || s=1
grep -q '^<p class="site-marker">' /var/www/html/index.php && s=1
# WordPress installed in the shared database: the query provision's installer makes, as the web
# user, once (on the first host: the answer is the database's, as provision's run_once task asks it)
[ "$2" != 1 ] || sudo -n runuser -u www-data -- php -r 'define("SHORTINIT", true); require "/var/www/html/wp-load.php"; global $wpdb; exit($wpdb->get_var("SELECT option_value FROM {$wpdb->options} WHERE option_name = \"siteurl\"") ? 0 : 1);' >/dev/null 2>&1 || s=1
echo "state=$s"
"""


# The first run's floor: the seed's steps (docs: seed-steps.md) for these Debian hosts as one
# bash script per host, all hosts in parallel, no checks, nothing skipped: what a careful
# person's script would do, and what no tool can do faster on the same hosts. Its stdin is the
# script, then the WordPress archive, then wp-config.php (bash reads a script on a pipe a
# byte at a time, and the script is one function, read whole before it runs, so its
# commands read the rest): no secret in any process's arguments.
FLOOR_FIRST = r"""main() {
set -e
export DEBIAN_FRONTEND=noninteractive
s="sudo -n -E"
# every command but the three `head -c` reads /dev/null: stdin is the rest of this stream
$s apt-get update -q >/dev/null </dev/null
$s apt-get -y -q upgrade >/dev/null </dev/null
$s apt-get -y -q install apache2 libapache2-mod-php php-mysql php-mbstring php-xml curl >/dev/null 2>&1 </dev/null
$s service apache2 start >/dev/null 2>&1 </dev/null
$s update-rc.d apache2 enable </dev/null
printf '<Directory /var/www/html>\n    DirectoryIndex index.php index.html\n    AllowOverride All\n</Directory>\n' |
  $s tee /etc/apache2/conf-enabled/wordpress.conf >/dev/null
head -c "$ARCHIVE_BYTES" | $s tar -xz -C /var/www/html --strip-components=1 --no-same-owner
$s chown -R www-data:www-data /var/www/html </dev/null
head -c "$CONFIG_BYTES" | $s install -m 0640 -o root -g www-data /dev/stdin /var/www/html/wp-config.php
if [ "$FIRST" = 1 ]; then
  # the database step (as provision's, over TLS), then WordPress's own installer
  head -c "$SQL_BYTES" | $s php
  $s runuser -u www-data -- php -r 'define("WP_INSTALLING", true); require "/var/www/html/wp-load.php";
    require_once ABSPATH . "wp-admin/includes/upgrade.php";
    $r = wp_install("WordPress", "admin", "admin@example.invalid", false, "", wp_slash(getenv("ADMIN_PASSWORD") ?: "x"));
    exit(is_wp_error($r) ? 1 : 0);' </dev/null >/dev/null
fi
$s service apache2 restart >/dev/null 2>&1 </dev/null
echo done
}
main; exit $?
"""


def floor_first_command(n, variables, wp_config):
    """The first-run floor's commands for N fresh hosts: one ssh per host, in parallel."""
    v = variables.values
    sql = (f"<?php $db = mysqli_init(); "
           f"mysqli_real_connect($db, {json.dumps(v['db_host'])}, {json.dumps(v['db_admin_user'])}, "
           f"{json.dumps(v['db_admin_password'])}, null, {v['db_port']}, null, MYSQLI_CLIENT_SSL | MYSQLI_CLIENT_SSL_DONT_VERIFY_SERVER_CERT) or exit(1);"
           f"$db->query('CREATE DATABASE IF NOT EXISTS `{v['db_name']}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci') or exit(2);"
           f"$db->query(\"CREATE USER IF NOT EXISTS '{v['db_user']}'@'%' IDENTIFIED BY \" . {json.dumps(json.dumps(v['db_password']))} ) or exit(3);"
           f"$db->query(\"GRANT ALL ON `{v['db_name']}`.* TO '{v['db_user']}'@'%'\") or exit(4);\n").encode()
    archive = Path(v["wordpress_archive"]).read_bytes()
    ssh = (f"ssh -F {LAB / 'ssh_config'} -o KexAlgorithms=curve25519-sha256 -o ControlMaster=no -o ControlPath=none "
           "-o BatchMode=yes")
    body = []
    for i, h in enumerate(web_hosts(n)):
        first = i == 0
        header = (f"ARCHIVE_BYTES={len(archive)} CONFIG_BYTES={len(wp_config)} SQL_BYTES={len(sql)} FIRST={int(first)}\n"
                  f"ADMIN_PASSWORD={shlex.quote(v['wordpress_admin_password'])}; export ADMIN_PASSWORD\n").encode()
        stdin = WORK / f"floor-first-{h}.in"
        fd = os.open(stdin, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(header + FLOOR_FIRST.encode() + archive + wp_config + (sql if first else b""))
        body.append(f"{ssh} {h} bash -s < {stdin} > {WORK}/floor-first-{h}.out 2>&1 & pids=\"$pids $!\"\n")
    script = WORK / "floor-first.sh"
    script.write_text("#!/bin/sh\npids=\n" + "".join(body) + "s=0\nfor p in $pids; do wait $p || s=1; done\nexit $s\n")
    script.chmod(0o755)
    return str(script)


def floor_command(n, config_digest):
    """Plain ssh, one round trip per host, all hosts in parallel, curve25519."""
    script = WORK / "floor.sh"
    ssh = (f"ssh -F {LAB / 'ssh_config'} -o KexAlgorithms=curve25519-sha256 -o ControlMaster=no -o ControlPath=none "
           "-o BatchMode=yes")
    body = "".join(f"{ssh} {h} sh -s {config_digest} {int(h == 'web-1')} < {WORK / 'floor-check.sh'} > {WORK}/floor-{h}.out &\n"
                   for h in web_hosts(n))
    (WORK / "floor-check.sh").write_text(FLOOR_CHECK)
    script.write_text("#!/bin/sh\n" + body + "wait\n")
    script.chmod(0o755)
    return str(script)


def hyperfine(command, runs, label):
    out = WORK / f"hyperfine-{label}.json"
    sh(["hyperfine", "-N", "--warmup", "1", "--runs", str(runs), "--export-json", str(out), command],
       stdout=subprocess.DEVNULL)
    result = json.loads(out.read_text())["results"][0]
    return result["median"], result["stddev"]


def lab_up(n):
    sh([LAB_CMD, "up", str(n)], stdout=subprocess.DEVNULL)


def measure(sizes, noop_runs):
    rows = {}
    for n in sizes:
        for tool in (Provision(), Ansible(), Pyinfra()):
            log(f"N={n} {tool.name}: fresh hosts")
            lab_up(n)
            variables = Variables()
            tool.prepare(n, variables)
            log(f"N={n} {tool.name}: first run")
            first = tool.run(n)
            if first.status != 0:
                print(first.output[-4000:], file=sys.stderr)
                raise SystemExit(f"{tool.name} first run failed (exit {first.status}) on N={n}")
            log(f"N={n} {tool.name}: first {first.seconds:.1f} s, changed {first.changed}; no-op check")
            noop = tool.run(n)
            if noop.status != 0:
                print(noop.output[-4000:], file=sys.stderr)
            runs = noop_runs if tool.name != "Ansible" else max(3, noop_runs // 2)
            median, stddev = hyperfine(tool.script(n), runs, f"{tool.name}-{n}")
            log(f"N={n} {tool.name}: no-op median {median:.3f} s, changed {noop.changed}")
            rows[(n, tool.name)] = dict(first=first.seconds, first_changed=first.changed, noop=median, noop_sd=stddev,
                                        noop_changed=noop.changed, noop_status=noop.status,
                                        rss=max(first.rss_kb, noop.rss_kb))
            if tool.name == "provision":
                digest = subprocess.run(["ssh", "-F", str(LAB / "ssh_config"), "web-1", "sudo -n sha256sum /var/www/html/wp-config.php"],
                                        capture_output=True, text=True, check=True).stdout.split()[0]
                floor = floor_command(n, digest)
                sh([floor])
                states = {h: (WORK / f"floor-{h}.out").read_text().strip() for h in web_hosts(n)}
                if any(s != "state=0" for s in states.values()):
                    raise SystemExit(f"the floor's check does not see the converged state: {states}")
                median, stddev = hyperfine(floor, noop_runs, f"floor-{n}")
                log(f"N={n} floor: median {median:.3f} s")
                rows[(n, "floor")] = dict(noop=median, noop_sd=stddev, first=first_run_floor(n, variables))
    return rows


def first_run_floor(n, variables):
    """The seed's steps as one script per host on N fresh hosts (FLOOR_FIRST): its wall time,
    after checking every host serves WordPress. wp-config.php is the one provision just wrote
    with the same variables, so both do the same job."""
    wp_config = subprocess.run(["ssh", "-F", str(LAB / "ssh_config"), "web-1", "sudo -n cat /var/www/html/wp-config.php"],
                               capture_output=True, check=True).stdout
    log(f"N={n} first-run floor: fresh hosts")
    lab_up(n)
    # a new lab has a new database (and admin password); the WordPress user is made anew
    variables.values["db_admin_password"] = (LAB / "db_admin_password").read_text().strip()
    command = floor_first_command(n, variables, wp_config)
    seconds, _, status, _ = timed([command])
    if status != 0:
        outs = {h: (WORK / f"floor-first-{h}.out").read_text()[-600:] for h in web_hosts(n)}
        raise SystemExit(f"N={n}: the first-run floor failed: {outs}")
    for h in web_hosts(n):
        page = subprocess.run(["curl", "-sS", "-m", "20", f"http://{web_ip(h)}/"], capture_output=True, text=True).stdout
        if "<title>" not in page:
            raise SystemExit(f"N={n}: after the first-run floor {h} does not serve WordPress")
    log(f"N={n} first-run floor: {seconds:.1f} s")
    return seconds


def versions():
    def first_line(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except Exception as error:  # noqa: BLE001 - a missing tool is reported, not fatal
            return f"unknown ({error})"
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return {
        "provision": f"{commit} (release build)",
        "Ansible": first_line([str(ANSIBLE.parent / "ansible"), "--version"]),
        "pyinfra": first_line([str(PYINFRA), "--version"]),
        "OpenSSH": subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip(),
        "hyperfine": first_line(["hyperfine", "--version"]),
    }


def report(rows, sizes, noop_runs):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    mem = round(int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) / 1048576)
    out = [f"# Benchmark: provision, Ansible, pyinfra and plain ssh on the lab\n",
           f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {os.cpu_count()} cores ({cpu}), {mem} GiB · "
           f"lab hosts: Debian 12 in network namespaces · written by `benchmarks/run`\n",
           "Versions: " + "; ".join(f"{k} {v}" for k, v in versions().items()) + "\n",
           "Job: `playbooks/site.yml` (database, user and grants through the first web host; package update; Apache and "
           "PHP; service started and enabled; WordPress unpacked and owned by www-data; wp-config.php from the template) "
           "and its equivalents in `benchmarks/ansible/` and `benchmarks/pyinfra/`. Each tool starts from fresh hosts. "
           f"First run: one run. No-op: median of {noop_runs} hyperfine runs after 1 warm-up (Ansible: {max(3, noop_runs // 2)}). "
           "Floor: one `ssh` (curve25519, no ControlMaster) per host running one script that checks the same state "
           "(packages, pending upgrades, the service, the files, and, on the first host, WordPress installed in the "
           "database, by the query provision's installer makes), all hosts in parallel. First-run floor: the seed's steps for these hosts as one "
           "bash script per host (`FLOOR_FIRST` in harness.py: upgrade, install, start and enable, unpack, chown, the "
           "same wp-config.php, the database step and WordPress's installer on web-1, restart), one `ssh` each, in "
           "parallel, on fresh hosts.\n",
           "| web hosts | scenario | provision | Ansible | pyinfra | floor | provision : Ansible | provision : pyinfra | provision : floor |",
           "|---|---|---|---|---|---|---|---|---|"]
    targets = []
    for n in sizes:
        p, a, y, f = (rows[(n, t)] for t in ("provision", "Ansible", "pyinfra", "floor"))
        def cell(r, key):
            changed = r.get(f"{key}_changed")
            flag = "" if key == "first" or changed == 0 else " ⚠ not a no-op"
            return f"{r[key]:.2f} s (changed {changed}){flag}"
        out.append(f"| {n} | first run | {cell(p, 'first')} | {cell(a, 'first')} | {cell(y, 'first')} | {f['first']:.2f} s | "
                   f"{a['first'] / p['first']:.1f}× faster | {y['first'] / p['first']:.1f}× faster | {p['first'] / f['first']:.2f}× |")
        out.append(f"| {n} | no-op re-run | {cell(p, 'noop')} | {cell(a, 'noop')} | {cell(y, 'noop')} | {f['noop']:.3f} s | "
                   f"{a['noop'] / p['noop']:.1f}× faster | {y['noop'] / p['noop']:.1f}× faster | {p['noop'] / f['noop']:.2f}× |")
        out.append(f"| {n} | peak RSS | {p['rss'] / 1024:.0f} MB | {a['rss'] / 1024:.0f} MB | {y['rss'] / 1024:.0f} MB | — | | | |")
        for tool, r in (("provision", p), ("Ansible", a), ("pyinfra", y)):
            if r["noop_changed"] != 0:
                targets.append((f"{tool} no-op run on {n} hosts changes nothing", False, f"changed {r['noop_changed']}"))
        targets += [
            (f"N={n} no-op ≥ 20× faster than Ansible", a["noop"] / p["noop"] >= 20, f"{a['noop'] / p['noop']:.1f}×"),
            (f"N={n} no-op ≥ 5× faster than pyinfra", y["noop"] / p["noop"] >= 5, f"{y['noop'] / p['noop']:.1f}×"),
            (f"N={n} no-op ≤ 1.5× the floor", p["noop"] / f["noop"] <= 1.5, f"{p['noop'] / f['noop']:.2f}×"),
            (f"N={n} first run ≤ 1.1× the first-run floor", p["first"] / f["first"] <= 1.1, f"{p['first'] / f['first']:.2f}×"),
            (f"N={n} first run faster than Ansible and pyinfra", p["first"] < min(a["first"], y["first"]),
             f"{p['first']:.1f} s vs {a['first']:.1f} s / {y['first']:.1f} s"),
        ]
        if n == 8:
            targets.append(("controller peak RSS with 8 hosts ≤ 50 MB", p["rss"] <= 50 * 1024, f"{p['rss'] / 1024:.0f} MB"))
    out.append("\n## Targets\n")
    out += [f"- {'holds' if ok else '**MISSED**'}: {what} ({value})" for what, ok, value in targets]
    text = "\n".join(out) + "\n"
    # The scale section (`--scale`) is another run's: kept as it is.
    path = REPO / "benchmarks/RESULTS.md"
    previous = path.read_text() if path.exists() else ""
    if SCALE_BEGIN in previous and SCALE_END in previous:
        text += "\n" + previous[previous.index(SCALE_BEGIN):previous.index(SCALE_END) + len(SCALE_END)] + "\n"
    path.write_text(text)
    print(text)
    return all(ok for _, ok, _ in targets)


def scale(sizes, noop_runs):
    """provision's no-op and the floor at growing N, on hosts launched from one provisioned
    host's image (`lab launch --shared`: its disk as a read-only layer, so 100 hosts cost
    one provisioned disk, not 100). First runs at 100 hosts would measure 100 package
    installs on two cores, not the tool: the curve is the no-op's."""
    sizes = sorted(set(sizes))
    log("scale: one fresh host, provisioned")
    lab_up(1)
    variables = Variables()
    tool = Provision()
    tool.prepare(1, variables)
    first = tool.run(1)
    if first.status != 0:
        print(first.output[-4000:], file=sys.stderr)
        raise SystemExit(f"provision's first run failed (exit {first.status})")
    digest = subprocess.run(["ssh", "-F", str(LAB / "ssh_config"), "web-1", "sudo -n sha256sum /var/www/html/wp-config.php"],
                            capture_output=True, text=True, check=True).stdout.split()[0]
    rows, current = {}, 1
    for n in sizes:
        began = time.monotonic()
        for k in range(current + 1, n + 1):
            sh([LAB_CMD, "launch", f"web-{k}", "--from", "web-1", "--shared", "--trust"], stdout=subprocess.DEVNULL)
        if n > current:
            log(f"scale: launched web-{current + 1}..web-{n} from web-1's image in {time.monotonic() - began:.0f} s")
        current = max(current, n)
        check = tool.run(n)
        if check.status != 0 or check.changed != 0:
            print(check.output[-4000:], file=sys.stderr)
            raise SystemExit(f"N={n}: provision's no-op check run exited {check.status}, changed {check.changed}")
        median, stddev = hyperfine(tool.script(n), noop_runs, f"scale-provision-{n}")
        floor = floor_command(n, digest)
        sh([floor])
        states = {h: (WORK / f"floor-{h}.out").read_text().strip() for h in web_hosts(n)}
        if any(v != "state=0" for v in states.values()):
            raise SystemExit(f"N={n}: the floor's check does not see the converged state: {states}")
        floor_median, floor_sd = hyperfine(floor, noop_runs, f"scale-floor-{n}")
        rows[n] = dict(provision=median, provision_sd=stddev, floor=floor_median, floor_sd=floor_sd, rss=check.rss_kb)
        log(f"scale N={n}: provision {median:.3f} s, floor {floor_median:.3f} s ({median / floor_median:.2f}×), "
            f"peak RSS {check.rss_kb / 1024:.0f} MB")
    return rows


def curve_svg(rows):
    """Time against hosts, both axes logarithmic: provision's no-op and the floor."""
    import math
    width, height, left, right, top, bottom = 640, 400, 70, 20, 30, 50
    ns = sorted(rows)
    times = [rows[n][k] for n in ns for k in ("provision", "floor")]
    x_lo, x_hi = math.log10(min(ns)), math.log10(max(ns))
    y_lo, y_hi = math.floor(math.log10(min(times)) * 2) / 2, math.ceil(math.log10(max(times)) * 2) / 2
    if x_hi == x_lo:
        x_hi += 1
    if y_hi == y_lo:
        y_hi += 0.5
    px = lambda n: left + (math.log10(n) - x_lo) / (x_hi - x_lo) * (width - left - right)
    py = lambda t: height - bottom - (math.log10(t) - y_lo) / (y_hi - y_lo) * (height - top - bottom)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">No-op re-run: wall time against web hosts (log-log)</text>']
    for n in ns:
        out.append(f'<line x1="{px(n):.1f}" y1="{top}" x2="{px(n):.1f}" y2="{height - bottom}" stroke="#ddd"/>')
        out.append(f'<text x="{px(n):.1f}" y="{height - bottom + 16}" text-anchor="middle">{n}</text>')
    tick = y_lo
    while tick <= y_hi + 1e-9:
        t = 10 ** tick
        out.append(f'<line x1="{left}" y1="{py(t):.1f}" x2="{width - right}" y2="{py(t):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{t:.2g} s</text>')
        tick += 0.5
    out.append(f'<text x="{width / 2}" y="{height - 12}" text-anchor="middle">web hosts</text>')
    for key, colour, label in (("floor", "#888", "floor: one ssh per host"), ("provision", "#c0392b", "provision")):
        points = " ".join(f"{px(n):.1f},{py(rows[n][key]):.1f}" for n in ns)
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for n in ns:
            out.append(f'<circle cx="{px(n):.1f}" cy="{py(rows[n][key]):.1f}" r="3" fill="{colour}"/>')
        y = top + 14 + (0 if key == "provision" else 16)
        out.append(f'<line x1="{left + 10}" y1="{y - 4}" x2="{left + 30}" y2="{y - 4}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{left + 36}" y="{y}">{label}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


SCALE_BEGIN, SCALE_END = "<!-- scale: begin (benchmarks/run --scale) -->", "<!-- scale: end -->"


def scale_report(rows, noop_runs):
    (REPO / "benchmarks/scale.svg").write_text(curve_svg(rows))
    lines = [SCALE_BEGIN, "## Scale: the no-op at growing N\n",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · provision "
             f"{subprocess.run(['git', '-C', str(REPO), 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()} · "
             "web hosts launched from one provisioned host's image (`lab launch --shared`), so every host is converged; "
             f"median of {noop_runs} hyperfine runs after 1 warm-up; the floor as above.\n",
             "![no-op wall time against web hosts](scale.svg)\n",
             "| web hosts | provision no-op | floor | provision : floor | provision peak RSS |", "|---|---|---|---|---|"]
    for n in sorted(rows):
        r = rows[n]
        lines.append(f"| {n} | {r['provision']:.3f} s ± {r['provision_sd']:.3f} | {r['floor']:.3f} s ± {r['floor_sd']:.3f} | "
                     f"{r['provision'] / r['floor']:.2f}× | {r['rss'] / 1024:.0f} MB |")
    targets = []
    if 100 in rows:
        r = rows[100]
        targets += [(f"N=100 no-op ≤ 1.25× the floor", r["provision"] / r["floor"] <= 1.25, f"{r['provision'] / r['floor']:.2f}×"),
                    (f"N=100 controller peak RSS ≤ 80 MB", r["rss"] <= 80 * 1024, f"{r['rss'] / 1024:.0f} MB")]
    if targets:
        lines.append("\nTargets (issue 19):\n")
        lines += [f"- {'holds' if ok else '**MISSED**'}: {what} ({value})" for what, ok, value in targets]
    lines.append(SCALE_END)
    section = "\n".join(lines) + "\n"
    path = REPO / "benchmarks/RESULTS.md"
    text = path.read_text() if path.exists() else ""
    if SCALE_BEGIN in text and SCALE_END in text:
        text = text[:text.index(SCALE_BEGIN)] + section + text[text.index(SCALE_END) + len(SCALE_END) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
    print(section)
    return all(ok for _, ok, _ in targets)


def main():
    args = sys.argv[1:]
    noop_runs = int(os.environ.get("BENCH_NOOP_RUNS", "3"))
    if args[:1] == ["--scale"]:
        sizes = [int(a) for a in args[1:]] or [2, 8, 32, 100]
        return 0 if scale_report(scale(sizes, noop_runs), noop_runs) else 3
    sizes = [int(a) for a in args] or [2, 8]
    rows = measure(sizes, noop_runs)
    return 0 if report(rows, sizes, noop_runs) else 3


if __name__ == "__main__":
    sys.exit(main())
