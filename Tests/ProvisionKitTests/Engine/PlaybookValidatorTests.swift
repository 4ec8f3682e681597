import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

final class PlaybookValidatorTests: XCTestCase {
    func validate(_ text: String, known: Set<String> = [], files: [String: String] = [:]) throws -> [String] {
        let dir = try makeTempDir(files.merging(["playbooks/site.yml": text]) { $1 })
        let errors = PlaybookValidator.validate(path: dir + "/playbooks/site.yml", specs: testSpecs, knownVariables: known)
        return errors.map { $0.description.replacingOccurrences(of: dir + "/", with: "") }
    }

    func testCleanPlaybookHasNoErrors() throws {
        let errors = try validate("""
        - hosts: web
          vars:
            docroot: /var/www/{{ site | default('html') }}
            url: "http://{{ inventory_hostname }}:{{ port }}"
          vars_files: [../vars/main.yml]
          tasks:
            - package: name={{ ansible_pkg_mgr }}-utils state=present
              when: ansible_os_family == "Debian"
            - command: ls {{ docroot }}
              register: listing
            - copy: content="{{ listing.stdout }}" dest=/tmp/out mode=0644
              when: listing is changed
            - file: path={{ item }} state=directory mode=u=rwx,g=rx
              loop: [/a, /b]
            - file:
                path: "{{ d }}"
                recurse: "{{ flag | bool }}"
              loop: "{{ dirs }}"
              loop_control: {loop_var: d}
            - template: src=wp-config.php.j2 dest=/var/www/wp-config.php
              notify: restart web
            - command: echo {{ maybe }}
              when: maybe is defined
          handlers:
            - name: restart web
              service: name={{ ansible_service_mgr }}-x state=restarted
        """, known: ["port"], files: [
            "vars/main.yml": "dirs: [/x]\nflag: yes\nsite: wp\n",
            "templates/wp-config.php.j2": "define('DB_NAME', {{ site | php_string }});\n{% for d in dirs %}{{ d }}{% endfor %}\n{{ optional | default('') }}\n",
        ])
        XCTAssertEqual(errors, [])
    }

    func testReportsEveryProblemWithLocation() throws {
        let errors = try validate("""
        - hosts: all
          vars:
            db_name: wp
            db_url: "{{ db_hst }}:3306"
          tasks:
            - copy:
                src: a
                dset: /etc/a
            - file: path=/x state=dir recurse=maybe
            - file:
                path: /x
                mode: 99
                owner: [a, b]
            - package: name=httpd state={{ st }}
              when: ansible_os_famly == 'Debian'
            - command: echo {{ db_nmae }}
              notify: restart apache
            - service: name=x state=started enabled=sometimes
            - template: src=missing.j2 dest=/x
            - template: src=bad.j2 dest=/x
            - command: echo {{ item }}
            - copy: content=x dest=/x
              loop: pkgs
          handlers:
            - name: restart apache2
              service: name=apache2 state=restarted
        """, files: ["playbooks/templates/bad.j2": "line1\n{{ db_name }} {{ undefined_in_template }}\n{% if x %}\n"])
        XCTAssertEqual(errors, [
            "playbooks/site.yml:4: undefined variable 'db_hst'",
            "playbooks/site.yml:8: copy: unknown parameter 'dset' (did you mean 'dest'?)",
            "playbooks/site.yml:6: copy: missing required parameter 'dest'",
            "playbooks/site.yml:9: file: parameter 'state' must be one of file, directory, link, absent, touch, not 'dir' (did you mean 'directory'?)",
            "playbooks/site.yml:9: file: parameter 'recurse' must be a boolean (yes/no), not 'maybe'",
            "playbooks/site.yml:12: file: parameter 'mode' must be an octal mode like '0644', not '99'",
            "playbooks/site.yml:13: file: parameter 'owner' must be a string, not a list",
            "playbooks/site.yml:15: undefined variable 'ansible_os_famly' (did you mean 'ansible_os_family'?)",
            "playbooks/site.yml:14: undefined variable 'st'",
            "playbooks/site.yml:16: undefined variable 'db_nmae' (did you mean 'db_name'?)",
            "playbooks/site.yml:17: notify: no handler named 'restart apache' in this play (did you mean 'restart apache2'?)",
            "playbooks/site.yml:18: service: parameter 'enabled' must be a boolean (yes/no), not 'sometimes'",
            "playbooks/site.yml:19: template: file 'missing.j2' not found (looked in TMP/playbooks/templates/missing.j2, TMP/playbooks/missing.j2, TMP/templates/missing.j2)",
            "playbooks/templates/bad.j2:3: template syntax error: '{% if %}' is never closed (add '{% endif %}')",
            "playbooks/site.yml:21: undefined variable 'item'",
            "playbooks/site.yml:23: loop must be a list or a template that gives a list, such as \"{{ pkgs }}\"",
        ].map { $0.replacingOccurrences(of: "TMP/", with: "") })
    }

    func testTemplateFileVariablesAreChecked() throws {
        let errors = try validate("""
        - hosts: all
          vars: {db_name: wp}
          tasks:
            - template: src=wp.j2 dest=/x
        """, files: ["templates/wp.j2": "a\n{{ db_name }}\n{{ db_nmae }}\n{% for x in y %}{{ x }}{{ loop.index }}{% endfor %}\n{{ z | default(1) }}{% if w is defined %}{{ w }}{% endif %}"])
        XCTAssertEqual(errors, [
            "templates/wp.j2:3: undefined variable 'db_nmae' (did you mean 'db_name'?)",
            "templates/wp.j2:4: undefined variable 'y'",
        ])
    }

    func testUnknownModuleAndRequiredOneOf() throws {
        // A playbook loaded with one module list, validated against another.
        let pb = try loadPlaybook("- hosts: all\n  tasks:\n    - mysql_db: name=wp port=abc\n    - copy: dest=/x\n    - command: chdir=/tmp\n")
        let specs = testSpecs.filter { $0.name != "mysql_db" }
        XCTAssertEqual(PlaybookValidator.validate(playbook: pb, specs: specs).map(\.description), [
            "site.yml:3: unknown module 'mysql_db'",
            "site.yml:4: copy: one of 'src', 'content' is required",
            "site.yml:5: command: missing required parameter 'cmd'",
        ])
        XCTAssertEqual(PlaybookValidator.validate(playbook: pb, specs: testSpecs).map(\.description), [
            "site.yml:3: mysql_db: parameter 'port' must be an integer, not 'abc'",
            "site.yml:4: copy: one of 'src', 'content' is required",
            "site.yml:5: command: missing required parameter 'cmd'",
        ])
    }

    func testRegisteredNamesAreKnownOnlyAfterTheTask() throws {
        let errors = try validate("""
        - hosts: all
          tasks:
            - command: echo {{ early.stdout }}
            - command: "true"
              register: early
            - command: echo {{ early.stdout }}
        - hosts: all
          tasks:
            - command: echo {{ early.rc }}
        """)
        XCTAssertEqual(errors, ["playbooks/site.yml:3: undefined variable 'early'"])
    }

    func testLoadErrorIsReported() throws {
        XCTAssertEqual(try validate("- hosts: all\n  tasks:\n    - copie: {}\n"),
                       ["playbooks/site.yml:3: unknown module or keyword 'copie' (did you mean 'copy'?)"])
    }

    func testVarsFilesErrors() throws {
        XCTAssertEqual(try validate("- hosts: all\n  vars_files:\n    - nope.yml\n"),
                       ["playbooks/site.yml:2: vars_files: file not found: 'nope.yml' (paths are relative to the playbook's directory)"])
        XCTAssertEqual(try validate("- hosts: all\n  vars_files: [v.yml]\n", files: ["playbooks/v.yml": "- a\n"]),
                       ["playbooks/v.yml:1: a vars file must be a mapping of names to values, not a list"])
    }

    func testFactNamesAreKnown() {
        XCTAssertTrue(Facts.variableNames.isSuperset(of: ["ansible_os_family", "ansible_distribution", "ansible_service_mgr", "ansible_pkg_mgr"]))
    }
}
