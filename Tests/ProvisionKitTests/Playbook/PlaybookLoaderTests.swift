import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

final class PlaybookLoaderTests: XCTestCase {
    func testFullPlay() throws {
        let pb = try loadPlaybook("""
        - name: Web
          hosts: web
          become: yes
          become_user: root
          gather_facts: false
          vars:
            port: 80
          vars_files: [vars/main.yml]
          pre_tasks:
            - command: echo pre
          tasks:
            - name: Copy it
              ansible.builtin.copy:
                src: a.conf
                dest: /etc/a.conf
                mode: '0644'
              notify: restart web
              when: ansible_os_family == "Debian"
              tags: [config, web]
              register: copied
            - yum: name=httpd state=latest
              become: no
              ignore_errors: true
              loop: "{{ packages }}"
              loop_control: {loop_var: pkg}
          post_tasks:
            - shell: echo post
          handlers:
            - name: restart web
              service: name=httpd state=restarted
              listen: [web changed]
        """)
        XCTAssertEqual(pb.plays.count, 1)
        let play = pb.plays[0]
        XCTAssertEqual(play.name, "Web")
        XCTAssertEqual(play.hosts, "web")
        XCTAssertTrue(play.become)
        XCTAssertEqual(play.becomeUser, "root")
        XCTAssertFalse(play.gatherFacts)
        XCTAssertEqual(play.vars, ["port": 80])
        XCTAssertEqual(play.varLocations["port"]?.line, 7)
        XCTAssertEqual(play.varsFiles, ["vars/main.yml"])
        XCTAssertEqual(play.tasks.map(\.module), ["command", "copy", "yum", "shell"])
        XCTAssertEqual(play.tasks[0].arguments, ["cmd": "echo pre"])
        let copy = play.tasks[1]
        XCTAssertEqual(copy.name, "Copy it")
        XCTAssertEqual(copy.location.line, 12)
        XCTAssertEqual(copy.arguments, ["src": "a.conf", "dest": "/etc/a.conf", "mode": "0644"])
        XCTAssertEqual(copy.argumentLocations["dest"]?.line, 15)
        XCTAssertEqual(copy.notify, ["restart web"])
        XCTAssertEqual(copy.when, ["ansible_os_family == \"Debian\""])
        XCTAssertEqual(copy.keywordLocations["when"]?.line, 18)
        XCTAssertEqual(copy.tags, ["config", "web"])
        XCTAssertEqual(copy.register, "copied")
        let yum = play.tasks[2]
        XCTAssertEqual(yum.arguments, ["name": "httpd", "state": "latest"])
        XCTAssertEqual(yum.become, false)
        XCTAssertTrue(yum.ignoreErrors)
        XCTAssertEqual(yum.loop, "{{ packages }}")
        XCTAssertEqual(yum.loopVariable, "pkg")
        XCTAssertEqual(play.handlers.count, 1)
        XCTAssertEqual(play.handlers[0].listen, ["web changed"])
        XCTAssertEqual(play.handlers[0].arguments, ["name": "httpd", "state": "restarted"])
    }

    func testKeyValueForm() throws {
        let cases: [(String, [String: Value])] = [
            ("copy: src=a dest=/b", ["src": "a", "dest": "/b"]),
            ("copy: content='hello world' dest=\"/tmp/x y\"", ["content": "hello world", "dest": "/tmp/x y"]),
            ("copy: content=\"{{ a | default('x y') }}\" dest=/b", ["content": "{{ a | default('x y') }}", "dest": "/b"]),
            ("copy: dest={{ d | default('/a b') }} content=x", ["dest": "{{ d | default('/a b') }}", "content": "x"]),
            ("command: ls -l /tmp", ["cmd": "ls -l /tmp"]),
            ("command: /usr/bin/make install creates=/usr/local/bin/x", ["cmd": "/usr/bin/make install", "creates": "/usr/local/bin/x"]),
            ("shell: echo 'a  b' > /tmp/x chdir=/tmp", ["cmd": "echo 'a  b' > /tmp/x", "chdir": "/tmp"]),
            ("command: creates=/x removes=/y touch /x", ["cmd": "touch /x", "creates": "/x", "removes": "/y"]),
            ("shell: FOO=bar echo $FOO", ["cmd": "FOO=bar echo $FOO"]),
        ]
        for (task, expected) in cases {
            let pb = try loadPlaybook("- hosts: all\n  tasks:\n    - \(task)\n")
            XCTAssertEqual(pb.plays[0].tasks[0].arguments, expected, task)
        }
    }

    func testArgsKeywordAndWithItems() throws {
        let pb = try loadPlaybook("""
        - hosts: all
          tasks:
            - command: make
              args: {chdir: /src, creates: /src/out}
            - package: name={{ item }}
              with_items: [[a, b], c]
            - command: "true"
              when: [a, true]
        """)
        XCTAssertEqual(pb.plays[0].tasks[0].arguments, ["cmd": "make", "chdir": "/src", "creates": "/src/out"])
        XCTAssertEqual(pb.plays[0].tasks[1].loop, ["a", "b", "c"])
        XCTAssertEqual(pb.plays[0].tasks[2].when, ["a", "True"])
    }

    func testErrors() {
        let cases: [(String, String)] = [
            ("hosts: all\n", "site.yml:1: a playbook must be a list of plays (start each play with '- hosts: …')"),
            ("- name: x\n  tasks: []\n", "site.yml:1: a play must be a mapping with `hosts` (e.g. '- hosts: web' followed by 'tasks:')"),
            ("- hosts: all\n  taks: []\n", "site.yml:2: unknown play keyword 'taks' (did you mean 'tasks'?)"),
            ("- hosts: all\n  strategy: free\n", "site.yml:2: play keyword 'strategy' is not supported yet"),
            ("- hosts: all\n  tasks:\n    copy: {}\n", "site.yml:3: tasks must be a list (write each task as an item starting with '- ')"),
            ("- hosts: all\n  tasks:\n    - copie: src=a dest=b\n", "site.yml:3: unknown module or keyword 'copie' (did you mean 'copy'?)"),
            ("- hosts: all\n  tasks:\n    - copy: src=a dest=b\n      notfy: x\n", "site.yml:4: unknown module or keyword 'notfy' (did you mean 'notify'?)"),
            ("- hosts: all\n  tasks:\n    - ansible.builtin.fille: path=/x\n", "site.yml:3: unknown module or keyword 'ansible.builtin.fille' (did you mean 'file'?)"),
            ("- hosts: all\n  tasks:\n    - name: nothing\n", "site.yml:3: task has no module (add one module such as 'command', 'copy' or 'template')"),
            ("- hosts: all\n  tasks:\n    - copy: src=a dest=b\n      file: path=/x\n", "site.yml:4: a task has exactly one module; this one has 'copy' and 'file' (split it into two tasks)"),
            ("- hosts: all\n  tasks:\n    - include: x.yml\n", "site.yml:3: 'include' is not supported yet"),
            ("- hosts: all\n  tasks:\n    - copy: src=a dest\n", "site.yml:3: copy: expected key=value, got 'dest' (write the arguments as a mapping, or as key=value pairs)"),
            ("- hosts: all\n  tasks:\n    - copy: src='a dest=b\n", "site.yml:3: copy: cannot split arguments: unterminated ' quote"),
            ("- hosts: all\n  tasks:\n    - copy: [a]\n", "site.yml:3: arguments of 'copy' must be a mapping or key=value pairs, not a list"),
            ("- hosts: all\n  become: maybe\n", "site.yml:2: become must be a boolean (yes/no), not 'maybe'"),
            ("- hosts: all\n  become_user: postgres\n", "site.yml:2: become_user: postgres is not supported yet: become runs tasks as root (drop become_user, or run that command as the user: `command: runuser -u postgres -- CMD`)"),
            ("- hosts: all\n  tasks:\n    - command: x\n      become_user: \"{{ u }}\"\n", "site.yml:4: become_user: {{ u }} is not supported yet: become runs tasks as root (drop become_user, or run that command as the user: `command: runuser -u USER -- CMD`)"),
            ("- hosts: all\n  tasks:\n    - command: x\n      loop: {a: 1}\n", "site.yml:4: loop must be a list or a template that gives a list, not a mapping"),
            ("- hosts: all\n  tasks:\n    - command: x\n      register: my-var\n", "site.yml:4: register must be a variable name (letters, digits, _), not 'my-var'"),
            ("- hosts: all\n  tasks:\n    - command: x\n      loop_control: {loop_vr: y}\n", "site.yml:4: unknown loop_control key 'loop_vr' (did you mean 'loop_var'?)"),
            ("- hosts: all\n  tasks:\n    - command: x\n      when: {a: 1}\n", "site.yml:4: when must be an expression or a list of expressions, not a mapping"),
            ("- hosts: all\n  vars: [a]\n", "site.yml:2: play vars must be a mapping of names to values, not a list"),
            ("- hosts: all\n  vars:\n    my-var: 1\n", "site.yml:3: invalid variable name 'my-var' (variable names use letters, digits and _, and do not start with a digit)"),
            ("- hosts: all\n  tasks:\n    - command: x\n      listen: y\n", "site.yml:4: 'listen' is only for handlers"),
            ("- hosts: all\n  tasks:\n    - command: x\n      loop: [1]\n      with_items: [2]\n", "site.yml:5: a task may have 'loop' or 'with_items', not both"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(errorText { try loadPlaybook(text) }, expected, text)
        }
    }

    func testImportPlaybookRelativeAndRecursive() throws {
        let dir = try makeTempDir([
            "site.yml": "- import_playbook: plays/web.yml\n- hosts: db\n  tasks: []\n",
            "plays/web.yml": "- hosts: web\n  tasks:\n    - command: a\n- import_playbook: more/extra.yml\n",
            "plays/more/extra.yml": "- hosts: extra\n",
        ])
        let pb = try PlaybookLoader.load(path: dir + "/site.yml", specs: testSpecs)
        XCTAssertEqual(pb.plays.map(\.hosts), ["web", "extra", "db"])
        XCTAssertEqual(pb.plays[0].baseDirectory, dir + "/plays")
        XCTAssertEqual(pb.plays[0].tasks[0].location.file, dir + "/plays/web.yml")
        XCTAssertEqual(pb.plays[1].baseDirectory, dir + "/plays/more")
        XCTAssertEqual(pb.file, dir + "/site.yml")
    }

    func testImportPlaybookErrors() throws {
        let dir = try makeTempDir([
            "site.yml": "- import_playbook: web.yml\n",
            "web.yml": "- hosts: web\n- import_playbook: site.yml\n",
            "missing.yml": "- hosts: a\n- import_playbook: nope.yml\n",
            "self.yml": "- import_playbook: ./self.yml\n",
            "bad.yml": "- hosts: a\n  taks: []\n",
            "importsbad.yml": "- import_playbook: bad.yml\n",
        ])
        XCTAssertEqual(errorText { try PlaybookLoader.load(path: dir + "/site.yml", specs: testSpecs) },
                       "\(dir)/web.yml:2: import_playbook cycle: site.yml -> web.yml -> site.yml (a playbook cannot import itself, directly or through others)")
        XCTAssertEqual(errorText { try PlaybookLoader.load(path: dir + "/self.yml", specs: testSpecs) },
                       "\(dir)/self.yml:1: import_playbook cycle: self.yml -> self.yml (a playbook cannot import itself, directly or through others)")
        XCTAssertEqual(errorText { try PlaybookLoader.load(path: dir + "/missing.yml", specs: testSpecs) },
                       "\(dir)/missing.yml:2: import_playbook: file not found: 'nope.yml' (paths are relative to the importing playbook's directory)")
        XCTAssertEqual(errorText { try PlaybookLoader.load(path: dir + "/importsbad.yml", specs: testSpecs) },
                       "\(dir)/bad.yml:2: unknown play keyword 'taks' (did you mean 'tasks'?)")
    }

    func testArgumentSplitter() throws {
        XCTAssertEqual(try ArgumentSplitter.split(#"a=1 b='x y' c="q \"z\"" d=a\ b"#), ["a=1", "b=x y", #"c=q "z""#, "d=a b"])
        XCTAssertEqual(try ArgumentSplitter.split("x={{ a ~ ' ' ~ b }} y=2"), ["x={{ a ~ ' ' ~ b }}", "y=2"])
        XCTAssertEqual(try ArgumentSplitter.split("  "), [])
    }

    func testSerialAsAPlayKeyword() throws {
        XCTAssertEqual(try loadPlaybook("- hosts: all\n  serial: 2\n  tasks: []\n").plays[0].serial, [.count(2)])
        XCTAssertEqual(try loadPlaybook("- hosts: all\n  serial: '30%'\n  tasks: []\n").plays[0].serial, [.percent(30)])
        XCTAssertEqual(try loadPlaybook("- hosts: all\n  serial: [1, 5, '20%']\n  tasks: []\n").plays[0].serial,
                       [.count(1), .count(5), .percent(20)])
        XCTAssertNil(try loadPlaybook("- hosts: all\n  tasks: []\n").plays[0].serial)
        XCTAssertEqual(errorText { try loadPlaybook("- hosts: all\n  serial: 0\n  tasks: []\n") },
                       "site.yml:2: serial: expected a number of hosts (2) or a percentage (30%), got '0'")
        XCTAssertEqual(errorText { try loadPlaybook("- hosts: all\n  serial: [1, {a: 1}]\n  tasks: []\n") },
                       "site.yml:2: serial must be a number of hosts, a percentage or a list of them, not a mapping")
        XCTAssertEqual(errorText { try loadPlaybook("- hosts: all\n  serial: \"{{ n }}\"\n  tasks: []\n") },
                       "site.yml:2: serial: a template is not supported here (give the batch size itself, e.g. serial: 2 or serial: 30%)")
    }

    func testRemoteUserAsAPlayKeyword() throws {
        XCTAssertEqual(try loadPlaybook("- hosts: all\n  remote_user: deploy\n  tasks: []\n").plays[0].remoteUser, "deploy")
        XCTAssertNil(try loadPlaybook("- hosts: all\n  tasks: []\n").plays[0].remoteUser)
        XCTAssertEqual(errorText { try loadPlaybook("- hosts: all\n  remote_user: '-oProxyCommand=x'\n  tasks: []\n") },
                       "site.yml:2: remote_user '-oProxyCommand=x' starts with '-' (it would be read as an option)")
        XCTAssertEqual(errorText { try loadPlaybook("- hosts: all\n  remote_user: \"{{ u }}\"\n  tasks: []\n") },
                       "site.yml:2: remote_user: a template is not supported here (give the user itself, or set ansible_user in the inventory)")
    }

    func testConnectionAsAPlayKeyword() throws {
        XCTAssertTrue(try loadPlaybook("- hosts: all\n  connection: local\n  tasks: []\n").plays[0].connectionLocal)
        XCTAssertFalse(try loadPlaybook("- hosts: all\n  connection: ssh\n  tasks: []\n").plays[0].connectionLocal)
        XCTAssertEqual(errorText { try loadPlaybook("- hosts: all\n  connection: docker\n  tasks: []\n") },
                       "site.yml:2: connection 'docker' is not supported (use ssh (the default) or local (run the play on this machine))")
    }
}
