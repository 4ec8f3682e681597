import Foundation
import XCTest

/// Bad input, table-driven: each case writes files into a fresh directory, runs the real
/// `provision` binary, and checks the exit code, message fragments (file:line and what to
/// do) and that no host was contacted: every inventory host points at `FakeHostListener`,
/// which must see no connection unless the case says it may (then it answers like a web
/// server, so "reached a host" is itself a clear, tested error).
///
/// In files and arguments `$PORT` is the listener's port and `$DIR` the case's directory.
final class HardeningBadInputTests: XCTestCase {
    struct Case {
        var name: String
        var files: [String: String] = [:]
        var modes: [String: Int] = [:]
        var arguments: [String]
        var status: Int32
        /// Each must appear in the output (stderr, then stdout).
        var messages: [String]
        /// Must not appear (secrets, unquoted shell effects).
        var absent: [String] = []
        /// The listener may be contacted (transport cases); otherwise it must see nothing.
        var connects = false
        /// Paths (relative to $DIR) that must not exist afterwards: nothing ran in a shell.
        var notCreated: [String] = []
    }

    static let inventory = """
        all:
          vars:
            ansible_user: tester
          children:
            web:
              hosts:
                web-1: {ansible_host: 127.0.0.1, ansible_port: $PORT}
                web-2: {ansible_host: 127.0.0.1, ansible_port: $PORT}
        """
    static let okPlaybook = "- hosts: web\n  tasks:\n    - debug: {msg: hi}\n"

    /// Every printable ASCII character, and some that are not ASCII.
    static let printable = String((0x21...0x7E).map { Character(UnicodeScalar(UInt8($0))) }) + " "
    static let nonASCII = "pässwörd-✓-密码-🔑"
    static func yamlDoubleQuoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func play(_ tasks: String, extra: String = "") -> String {
        "- hosts: web\n" + extra + "  tasks:\n" + tasks
    }

    static let mysqlDB = play("""
            - name: database
              mysql_db:
                name: "{{ db_name }}"
                login_password: "{{ db_admin_password }}"
        """, extra: "  gather_facts: false\n")
    static let dbSecrets = "db_admin_password: \"adm1n-pw\"\ndb_password: \"wp-pw-1234\"\n"
    static let mysqlUser = play("""
            - name: user
              mysql_user:
                name: "{{ db_user }}"
                password: "{{ db_password }}"
                login_password: "{{ db_admin_password }}"
        """, extra: "  gather_facts: false\n")

    static let cases: [Case] = [
        // MARK: malformed YAML
        Case(name: "tab indentation (run)", files: ["bad.yml": "- hosts: web\n  tasks:\n\t- debug: {msg: hi}\n"],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:3: tabs are not allowed for indentation; use spaces"]),
        Case(name: "tab indentation (validate)", files: ["bad.yml": "- hosts: web\n  tasks:\n\t- debug: {msg: hi}\n"],
             arguments: ["validate", "bad.yml"], status: 1,
             messages: ["error: bad.yml:3: tabs are not allowed for indentation; use spaces"]),
        Case(name: "bad indentation", files: ["bad.yml": "- hosts: web\n  tasks:\n    - debug:\n        msg: hi\n      name: x\n   become: true\n"],
             arguments: ["-p", "bad.yml", "web"], status: 1, messages: ["error: bad.yml:6"]),
        Case(name: "duplicate key in a task", files: ["bad.yml": play("    - name: one\n      debug: {msg: a}\n      name: two\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1, messages: ["error: bad.yml:5: duplicate key 'name' ('name' is already set at line 3; each key may appear only once in a mapping)"]),
        Case(name: "duplicate key (validate)", files: ["bad.yml": play("    - name: one\n      debug: {msg: a}\n      name: two\n")],
             arguments: ["validate", "bad.yml"], status: 1, messages: ["error: bad.yml:5: duplicate key 'name' ('name' is already set at line 3; each key may appear only once in a mapping)"]),
        Case(name: "duplicate host in inventory", files: ["inventory.yml": inventory + "\n        web-1: {ansible_port: 1}\n"],
             arguments: ["-p", "ok.yml", "web"], status: 1, messages: ["error: inventory.yml:9: duplicate key 'web-1'"]),
        Case(name: "tab in inventory", files: ["inventory.yml": "all:\n  hosts:\n\tweb-1:\n"],
             arguments: ["-p", "ok.yml", "web-1"], status: 1, messages: ["error: inventory.yml:3: tabs are not allowed for indentation; use spaces"]),
        Case(name: "unclosed flow mapping", files: ["bad.yml": play("    - debug: {msg: hi\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1, messages: ["error: bad.yml:"]),
        Case(name: "playbook is a mapping", files: ["bad.yml": "hosts: web\ntasks: []\n"],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:1: a playbook must be a list of plays (start each play with '- hosts: …')"]),
        Case(name: "playbook file missing", arguments: ["-p", "nope.yml", "web"], status: 1,
             messages: ["error: playbook nope.yml not found (paths are relative to the current directory; `provision run` takes one with -p (default playbooks/site.yml))"]),

        // MARK: modules and parameters
        Case(name: "unknown module (run)", files: ["bad.yml": play("    - name: typo\n      shel: {cmd: \"true\"}\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:4: unknown module or keyword 'shel' (did you mean 'shell'?)"]),
        Case(name: "unknown module (validate)", files: ["bad.yml": play("    - copi: {dest: /tmp/x, content: y}\n")],
             arguments: ["validate", "bad.yml"], status: 1,
             messages: ["error: bad.yml:3: unknown module or keyword 'copi' (did you mean 'copy'?)"]),
        Case(name: "unknown parameter (run)", files: ["bad.yml": play("    - copy:\n        dest: /tmp/x\n        content: y\n        mdoe: '0644'\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:6: copy: unknown parameter 'mdoe' (did you mean 'mode'?)"]),
        Case(name: "unknown parameter (validate)", files: ["bad.yml": play("    - service: {name: apache2, stat: started}\n")],
             arguments: ["validate", "bad.yml"], status: 1,
             messages: ["error: bad.yml:3: service: unknown parameter 'stat' (did you mean 'state'?)"]),
        Case(name: "missing required parameter", files: ["bad.yml": play("    - name: no dest\n      copy: {content: y}\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:3: copy: missing required parameter 'dest'"]),
        Case(name: "two modules in one task", files: ["bad.yml": play("    - copy: {dest: /tmp/x, content: y}\n      file: {path: /tmp/x}\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:4: a task has exactly one module; this one has 'copy' and 'file' (split it into two tasks)"]),
        Case(name: "task without module", files: ["bad.yml": play("    - name: nothing\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:3: task has no module (add one module such as 'command', 'copy' or 'template')"]),
        Case(name: "unsupported keyword", files: ["bad.yml": play("    - include: extra.yml\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1, messages: ["error: bad.yml:3: 'include' is not supported yet"]),
        Case(name: "include_vars of a missing file", files: ["bad.yml": play("    - include_vars: extra.yml\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:3: include_vars: parameter 'file' 'extra.yml' not found (looked in: $DIR/vars/extra.yml, $DIR/extra.yml)"]),
        Case(name: "unknown play keyword", files: ["bad.yml": "- hosts: web\n  taks:\n    - debug: {msg: hi}\n"],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:2: unknown play keyword 'taks' (did you mean 'tasks'?)"]),

        // MARK: wrong types
        Case(name: "become is not a boolean", files: ["bad.yml": play("    - debug: {msg: hi}\n      become: maybe\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1, messages: ["error: bad.yml:4: become must be a boolean (yes/no), not 'maybe'"]),
        Case(name: "mode is not a mode", files: ["bad.yml": play("    - file: {path: /tmp/x, state: touch, mode: rwxr}\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1, messages: ["error: bad.yml:3: file: parameter 'mode'"]),
        Case(name: "choice with a typo", files: ["bad.yml": play("    - service: {name: apache2, state: startd}\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:3: service: parameter 'state' must be one of", "not 'startd' (did you mean 'started'?)"]),
        Case(name: "bool parameter given a word", files: ["bad.yml": play("    - apt: {name: curl, update_cache: perhaps}\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:3: apt: parameter 'update_cache' must be a boolean (yes/no), not 'perhaps'"]),
        Case(name: "arguments are a list", files: ["bad.yml": play("    - copy: [dest, content]\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:3: arguments of 'copy' must be a mapping or key=value pairs, not a list"]),

        // MARK: variables and loops
        Case(name: "undefined variable (run)", files: ["bad.yml": play("    - debug: {msg: \"{{ nope }}\"}\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1, messages: ["error: bad.yml:3: undefined variable 'nope'"]),
        Case(name: "undefined variable with a suggestion", files: ["bad.yml": play("    - debug: {msg: \"{{ site_markr }}\"}\n", extra: "  vars:\n    site_marker: A\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:5: undefined variable 'site_markr' (did you mean 'site_marker'?)"]),
        Case(name: "undefined variable (validate, inventory known)", files: ["bad.yml": play("    - debug: {msg: \"{{ ansible_port }} {{ db_nam }}\"}\n")],
             arguments: ["validate", "-i", "inventory.yml", "bad.yml"], status: 1, messages: ["error: bad.yml:3: undefined variable 'db_nam'"],
             absent: ["ansible_port'"]),
        Case(name: "loop over a plain string", files: ["bad.yml": play("    - debug: {msg: \"{{ item }}\"}\n      loop: packages\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:4: loop must be a list or a template that gives a list, such as \"{{ packages }}\""]),
        Case(name: "loop over a mapping", files: ["bad.yml": play("    - debug: {msg: \"{{ item }}\"}\n      loop: {a: 1}\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:4: loop must be a list or a template that gives a list, not a mapping"]),
        Case(name: "loop over a variable that is a string", files: ["bad.yml": play("    - debug: {msg: \"{{ item }}\"}\n      loop: \"{{ packages }}\"\n", extra: "  vars:\n    packages: curl vim\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:6: loop must be a list, not a string (give a YAML list, or a variable that holds one)"]),
        Case(name: "loop variable from -e is a number", files: ["bad.yml": play("    - debug: {msg: \"{{ item }}\"}\n      loop: \"{{ packages }}\"\n")],
             arguments: ["-p", "bad.yml", "-e", "{\"packages\": 3}", "web"], status: 1,
             messages: ["error: bad.yml:4: loop must be a list, not an integer"]),

        // MARK: templates
        Case(name: "template syntax error in a task", files: ["bad.yml": play("    - debug: {msg: \"{{ inventory_hostname \"}\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1, messages: ["error: bad.yml:3:"]),
        Case(name: "template file syntax error", files: [
                "bad.yml": play("    - template: {src: site.conf.j2, dest: /etc/site.conf}\n"),
                "templates/site.conf.j2": "# site\n{% if inventory_hostname %}\nServerName x\n"],
             arguments: ["-p", "bad.yml", "web"], status: 1, messages: ["error: ", "site.conf.j2:"]),
        Case(name: "template file with undefined variable", files: [
                "bad.yml": play("    - template: {src: site.conf.j2, dest: /etc/site.conf}\n"),
                "templates/site.conf.j2": "# site\nServerName {{ server_nmae }}\n"],
             arguments: ["validate", "bad.yml"], status: 1, messages: ["templates/site.conf.j2:2: undefined variable 'server_nmae'"]),
        Case(name: "missing template file", files: ["bad.yml": play("    - template: {src: nope.j2, dest: /etc/x}\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:3: template: file 'nope.j2' not found (looked in ", "/templates/nope.j2"]),
        Case(name: "missing archive file", files: ["bad.yml": play("    - unarchive: {src: wordpress.tar.gz, dest: /var/www}\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:3: unarchive: src 'wordpress.tar.gz' not found on the controller (tried ", "/files/wordpress.tar.gz"]),
        Case(name: "missing archive file from -e", files: ["bad.yml": play("    - unarchive: {src: \"{{ wordpress_archive }}\", dest: /var/www}\n")],
             arguments: ["-p", "bad.yml", "-e", "wordpress_archive=/nonexistent/wp.tar.gz", "web"], status: 1,
             messages: ["error: bad.yml:3: unarchive: src '/nonexistent/wp.tar.gz' not found on the controller"]),
        Case(name: "missing copy source", files: ["bad.yml": play("    - copy: {src: motd.txt, dest: /etc/motd}\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:3: copy: src 'motd.txt' not found on the controller"]),

        // MARK: inventory and targets
        Case(name: "unknown host", arguments: ["-p", "ok.yml", "web-3"], status: 1,
             messages: ["error: unknown host or group 'web-3' (did you mean 'web-1'?)"]),
        Case(name: "unknown group in the play", files: ["bad.yml": "- hosts: webservers\n  tasks:\n    - debug: {msg: hi}\n"],
             arguments: ["-p", "bad.yml"], status: 1, messages: ["error: unknown host or group 'webservers'"]),
        Case(name: "unknown group in --limit", arguments: ["-p", "ok.yml", "--limit", "dbs", "web"], status: 1,
             messages: ["error: unknown host or group 'dbs'"]),
        Case(name: "inventory group cycle", files: ["inventory.yml": """
                all:
                  children:
                    web:
                      children:
                        app:
                          hosts:
                            web-1: {ansible_host: 127.0.0.1, ansible_port: $PORT}
                          children:
                            web:
                """],
             arguments: ["-p", "ok.yml", "web-1"], status: 1,
             messages: ["error: inventory.yml:9: inventory: group 'web' contains itself (web -> app -> web) (remove one of these children entries)"]),
        Case(name: "inventory file missing", arguments: ["-i", "nope.yml", "-p", "ok.yml", "web"], status: 1,
             messages: ["error: inventory file nope.yml not found (check -i)"]),
        Case(name: "inventory port out of range", files: ["inventory.yml": "all:\n  hosts:\n    web-1: {ansible_host: 127.0.0.1, ansible_port: 70000}\n"],
             arguments: ["-p", "ok.yml", "web-1"], status: 1,
             messages: ["error: inventory.yml:3: host 'web-1': port must be a number from 1 to 65535, not '70000'"]),
        Case(name: "host name with a space", files: ["inventory.yml": "all:\n  hosts:\n    web 1: {ansible_host: 127.0.0.1, ansible_port: $PORT}\n"],
             arguments: ["-p", "ok.yml", "all"], status: 1,
             messages: ["error: inventory.yml:3: host name 'web 1' may contain only letters, digits, '-', '_' and '.' (put the real address in ansible_host)"]),
        Case(name: "host name with shell metacharacters", files: ["inventory.yml": "all:\n  hosts:\n    \"web;touch $DIR/pwned\": {ansible_host: 127.0.0.1, ansible_port: $PORT}\n"],
             arguments: ["-p", "ok.yml", "all"], status: 1,
             messages: ["error: inventory.yml:3: host name 'web;touch $DIR/pwned' may contain only"], notCreated: ["pwned"]),
        Case(name: "address with shell metacharacters", files: ["inventory.yml": "all:\n  hosts:\n    web-1: {ansible_host: \"127.0.0.1;touch $DIR/pwned\", ansible_port: $PORT}\n"],
             arguments: ["-p", "all.yml", "all"], status: 1,
             messages: ["error: inventory.yml:3: host 'web-1': address '127.0.0.1;touch $DIR/pwned' is not a host name or IP address"],
             notCreated: ["pwned"]),
        Case(name: "address with shell metacharacters (openssh)", files: ["inventory.yml": "all:\n  hosts:\n    web-1: {ansible_host: \"$(touch $DIR/pwned)\", ansible_port: $PORT}\n"],
             arguments: ["--transport", "openssh", "-p", "all.yml", "all"], status: 1,
             messages: ["is not a host name or IP address"], notCreated: ["pwned"]),

        // MARK: -e
        Case(name: "-e without =", arguments: ["-p", "ok.yml", "-e", "novalue", "web"], status: 1,
             messages: ["error: -e: expected key=value, @file or JSON; got 'novalue'"]),
        Case(name: "-e bad JSON", arguments: ["-p", "ok.yml", "-e", "{\"port\": ", "web"], status: 1,
             messages: ["error: -e: invalid JSON: {\"port\":", "(quote the argument for the shell"]),
        Case(name: "-e unclosed quote", arguments: ["-p", "ok.yml", "-e", "a='b", "web"], status: 1, messages: ["error: -e: "]),
        Case(name: "-e @missing file", arguments: ["-p", "ok.yml", "-e", "@vars.yml", "web"], status: 1,
             messages: ["error: -e @vars.yml: file not found"]),
        Case(name: "-e @file that is a list", files: ["vars.yml": "- a\n- b\n"], arguments: ["-p", "ok.yml", "-e", "@vars.yml", "web"], status: 1,
             messages: ["vars.yml:1: -e @vars.yml: expected a mapping of variables, found a list"]),

        // MARK: secrets file
        Case(name: "secrets file world-readable", files: ["secrets.yml": "db_password: x\n"], modes: ["secrets.yml": 0o644],
             arguments: ["-p", "ok.yml", "web"], status: 1,
             messages: ["error: secrets file secrets.yml is readable by others (mode 644) (run: chmod 600 secrets.yml)"]),
        Case(name: "secrets file group-readable", files: ["secrets.yml": "db_password: x\n"], modes: ["secrets.yml": 0o640],
             arguments: ["-p", "ok.yml", "web"], status: 1,
             messages: ["error: secrets file secrets.yml is readable by others (mode 640) (run: chmod 600 secrets.yml)"]),
        Case(name: "secrets file from -e world-writable", files: ["s/site.yml": "db_password: x\n"], modes: ["s/site.yml": 0o602],
             arguments: ["-p", "ok.yml", "-e", "secrets_file=s/site.yml", "web"], status: 1,
             messages: ["error: secrets file s/site.yml is readable by others (mode 602) (run: chmod 600 s/site.yml)"]),
        Case(name: "secrets file is a list", files: ["secrets.yml": "- db_password\n"], modes: ["secrets.yml": 0o600],
             arguments: ["-p", "ok.yml", "web"], status: 1,
             messages: ["error: secrets.yml:1: secrets file must be a mapping of names to values"]),

        // MARK: database and user names
        Case(name: "db name with a backtick", files: ["db.yml": mysqlDB, "secrets.yml": dbSecrets], modes: ["secrets.yml": 0o600], arguments: ["-p", "db.yml", "-e", "{\"db_name\": \"wp`; DROP DATABASE mysql; --\"}", "web"],
             status: 1, messages: ["error: db.yml:6: mysql_db: parameter 'name' is invalid: database name 'wp`; DROP DATABASE mysql; --' is refused: use only letters, digits, '_', '$' and '-'"]),
        Case(name: "db name with a quote (inventory)", files: ["db.yml": mysqlDB, "secrets.yml": dbSecrets, "inventory.yml": inventory.replacingOccurrences(of: "web-1: {", with: "web-1: {db_name: \"wp'x\", ")],
             modes: ["secrets.yml": 0o600],
             arguments: ["-p", "db.yml", "web"], status: 1, messages: ["error: db.yml:6: mysql_db: parameter 'name' is invalid: database name 'wp'x' is refused"]),
        Case(name: "a secret neither the file nor the environment gives", files: ["db.yml": mysqlDB],
             arguments: ["-p", "db.yml", "-e", "db_name=wp", "web"], status: 1,
             messages: ["error: db.yml:7: undefined variable 'db_admin_password' (a secret: put db_admin_password in the secrets file (provision secrets init) or set PROVISION_DB_ADMIN_PASSWORD)"]),
        Case(name: "db name too long", files: ["db.yml": mysqlDB, "secrets.yml": dbSecrets], modes: ["secrets.yml": 0o600], arguments: ["-p", "db.yml", "-e", "db_name=" + String(repeating: "w", count: 65), "web"],
             status: 1, messages: ["is too long: 65 characters, at most 64"]),
        Case(name: "db name literal with a semicolon (validate)", files: ["db.yml": play("    - mysql_db: {name: \"wp;drop\"}\n")],
             arguments: ["validate", "db.yml"], status: 1, messages: ["error: db.yml:3: mysql_db: parameter 'name' is invalid: database name 'wp;drop' is refused"]),
        Case(name: "user name with a semicolon", files: ["db.yml": mysqlUser, "secrets.yml": dbSecrets], modes: ["secrets.yml": 0o600], arguments: ["-p", "db.yml", "-e", "db_user=wp;x", "web"],
             status: 1, messages: ["error: db.yml:4: mysql_user: user name 'wp;x' is refused: use only letters, digits, '_', '$', '.' and '-'"]),
        Case(name: "user name with a quote and @", files: ["db.yml": mysqlUser, "secrets.yml": dbSecrets], modes: ["secrets.yml": 0o600], arguments: ["-p", "db.yml", "-e", "{\"db_user\": \"wp'@'%\"}", "web"],
             status: 1, messages: ["mysql_user: user name 'wp'@'%' is refused"]),
        Case(name: "user name too long", files: ["db.yml": mysqlUser, "secrets.yml": dbSecrets], modes: ["secrets.yml": 0o600], arguments: ["-p", "db.yml", "-e", "db_user=" + String(repeating: "u", count: 33), "web"],
             status: 1, messages: ["is too long: 33 characters, at most 32"]),
        Case(name: "a refused name that is a secret stays masked", files: [
                "db.yml": play("    - mysql_db: {name: \"{{ db_password }}\"}\n", extra: "  gather_facts: false\n"),
                "secrets.yml": "db_password: " + yamlDoubleQuoted(printable) + "\ndb_admin_password: " + yamlDoubleQuoted(nonASCII) + "\n"],
             modes: ["secrets.yml": 0o600], arguments: ["-p", "db.yml", "web"], status: 1,
             messages: ["error: db.yml:4: mysql_db: parameter 'name' is invalid: database name '********' is refused"],
             absent: [printable, "pässwörd"]),

        // MARK: paths with spaces and metacharacters
        Case(name: "playbook and inventory paths with spaces and metacharacters", files: [
                "my plays/$(touch pwned); x.yml": okPlaybook, "inv 'a' \"b\".yml": inventory],
             arguments: ["-i", "inv 'a' \"b\".yml", "-p", "my plays/$(touch pwned); x.yml", "web-1"], status: 4,
             messages: ["web-1: UNREACHABLE: SSH error: port $PORT does not answer like an SSH server"],
             connects: true, notCreated: ["pwned", "my plays/pwned"]),
        Case(name: "template src with spaces and metacharacters, missing", files: ["bad.yml": play("    - template: {src: \"a b;$(touch pwned).j2\", dest: \"/tmp/x y\"}\n")],
             arguments: ["-p", "bad.yml", "web"], status: 1,
             messages: ["error: bad.yml:3: template: file 'a b;$(touch pwned).j2' not found"], notCreated: ["pwned"]),
        Case(name: "copy src with spaces, missing, via -e", files: ["bad.yml": play("    - copy: {src: \"{{ f }}\", dest: /tmp/x}\n")],
             arguments: ["-p", "bad.yml", "-e", "f='my file`id`.txt'", "web"], status: 1,
             messages: ["error: bad.yml:3: copy: src 'my file`id`.txt' not found on the controller"]),

        // MARK: command line
        Case(name: "--forks 0", arguments: ["-p", "ok.yml", "--forks", "0", "web"], status: 1, messages: ["--forks must be at least 1"]),
        Case(name: "unknown transport", arguments: ["-p", "ok.yml", "--transport", "telnet", "web"], status: 1, messages: ["telnet"]),

        // MARK: reaching the host (the listener is contacted)
        Case(name: "not an SSH server (libssh2)", arguments: ["-p", "ok.yml", "web-1"], status: 4,
             messages: ["web-1: UNREACHABLE: SSH error: port $PORT does not answer like an SSH server"], connects: true),
        Case(name: "not an SSH server (openssh)", arguments: ["--transport", "openssh", "-p", "ok.yml", "web-1"], status: 4,
             messages: ["web-1: UNREACHABLE: SSH error: port $PORT does not answer like an SSH server"], connects: true),
        Case(name: "not an SSH server (ping, json)", arguments: ["ping", "--json", "web-1"], status: 4,
             messages: ["\"event\":\"recap\"", "\"exit_code\":4", "does not answer like an SSH server"], connects: true),
        Case(name: "missing key file", files: ["inventory.yml": "all:\n  hosts:\n    web-1: {ansible_host: 127.0.0.1, ansible_port: $PORT, ansible_ssh_private_key_file: $DIR/nokey}\n"],
             arguments: ["--transport", "openssh", "-p", "all.yml", "web-1"], status: 4,
             messages: ["web-1: UNREACHABLE: key file $DIR/nokey: no such file"], connects: false),
        Case(name: "unreadable key file (a directory)", files: ["keys/id/.keep": "", "inventory.yml": "all:\n  hosts:\n    web-1: {ansible_host: 127.0.0.1, ansible_port: $PORT, ansible_ssh_private_key_file: $DIR/keys/id}\n"],
             arguments: ["--transport", "openssh", "-p", "all.yml", "web-1"], status: 4,
             messages: ["web-1: UNREACHABLE: key file $DIR/keys/id: is a directory"], connects: false),
        Case(name: "encrypted key without agent", files: ["inventory.yml": "all:\n  hosts:\n    web-1: {ansible_host: 127.0.0.1, ansible_port: $PORT, ansible_ssh_private_key_file: $DIR/enc_key}\n"],
             arguments: ["-p", "all.yml", "web-1"], status: 4,
             messages: ["web-1: UNREACHABLE: SSH error: port $PORT does not answer like an SSH server"], connects: true),
    ]

    func testBadInputTable() throws {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 40)
        XCTAssertEqual(Set(Self.cases.map(\.name)).count, Self.cases.count, "case names must be unique")
        let only = ProcessInfo.processInfo.environment["PROVISION_BAD_INPUT_CASE"]
        for c in Self.cases where only == nil || c.name.contains(only!) {
            try run(c)
        }
    }

    func run(_ c: Case) throws {
        let listener = try FakeHostListener()
        defer { listener.stop() }
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func expand(_ s: String) -> String {
            s.replacingOccurrences(of: "$PORT", with: String(listener.port)).replacingOccurrences(of: "$DIR", with: dir)
        }
        var files = ["inventory.yml": Self.inventory, "ok.yml": Self.okPlaybook, "all.yml": Self.okPlaybook.replacingOccurrences(of: "hosts: web", with: "hosts: all")]
        files.merge(c.files) { $1 }
        for (name, text) in files {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try expand(text).write(toFile: path, atomically: false, encoding: .utf8)
        }
        for (name, mode) in c.modes { chmod(dir + "/" + name, mode_t(mode)) }
        if c.name.contains("encrypted key") {
            let keygen = Process()
            keygen.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
            keygen.arguments = ["-q", "-t", "ed25519", "-N", "a passphrase", "-f", dir + "/enc_key"]
            try keygen.run()
            keygen.waitUntilExit()
        }

        let out = try ProvisionBinary.run(c.arguments.map(expand), in: dir, timeout: 60)
        let context = "case '\(c.name)': exit \(out.status)\n--- stderr\n\(out.stderr)--- stdout\n\(out.stdout)"
        XCTAssertFalse(out.timedOut, "hung: " + context)
        XCTAssertEqual(out.status, c.status, context)
        for m in c.messages { XCTAssertTrue(out.all.contains(expand(m)), "missing '\(expand(m))' in " + context) }
        for m in c.absent { XCTAssertFalse(out.all.contains(expand(m)), "must not print '\(m)': " + context) }
        XCTAssertFalse(out.all.contains("Fatal error"), "crashed: " + context)
        if !c.connects {
            XCTAssertEqual(listener.connections, 0, "a host was contacted: " + context)
            // Usage errors are one or more "error: …" lines on stderr and nothing on stdout.
            if c.status == 1 {
                XCTAssertTrue(out.stderr.hasPrefix("error: ") || out.stderr.hasPrefix("Error: "), context)
                XCTAssertEqual(out.stdout, "", context)
            }
        } else {
            XCTAssertGreaterThan(listener.connections, 0, "expected the run to reach the listener: " + context)
        }
        for path in c.notCreated {
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/" + path), "\(path) was created: a value reached a shell: " + context)
        }
    }
}
