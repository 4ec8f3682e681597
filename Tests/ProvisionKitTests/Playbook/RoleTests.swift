import Foundation
import XCTest
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore

/// Roles as Ansible lays them out (`Fixtures/roles`): expanded once, by the loader, so
/// validate, the preflight and the run see the same tasks.
final class RoleTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/roles").path
    var dir = ""
    /// No roles from this machine's ANSIBLE_ROLES_PATH or ~/.ansible/roles.
    let noRolesPath = RolesPath(configured: [])

    override func setUpWithError() throws {
        dir = try makeTempDir()
        try FileManager.default.removeItem(atPath: dir)
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: dir)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func load(_ file: String = "site.yml", rolesPath: RolesPath? = nil) throws -> Playbook {
        try PlaybookLoader.load(path: dir + "/" + file, modules: ModuleVocabulary(ModuleRegistry.specs), rolesPath: rolesPath ?? noRolesPath)
    }

    func write(_ path: String, _ text: String) throws {
        let full = dir + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    /// The error loading `file` gives, without the temporary directory.
    func loadError(_ file: String = "site.yml", rolesPath: RolesPath? = nil) -> String {
        do {
            _ = try load(file, rolesPath: rolesPath)
            return "no error"
        } catch {
            return "\(error)".replacingOccurrences(of: dir + "/", with: "")
        }
    }

    // MARK: loading

    func testRolesExpandInAnsiblesOrderWithDependenciesFirst() throws {
        let play = try load().plays[0]
        XCTAssertEqual(play.tasks.map(\.displayName), [
            "before the roles",
            "base : base directory", "common : level", "common : where", "common : motd", "common : banner",
            "web : port", "base : base directory",   // import_role runs a role again, `roles:` once
            "after the roles", "last",
        ])
        XCTAssertEqual(play.handlers.map(\.displayName), ["common : motd changed"])
        XCTAssertEqual(play.roles.map(\.name), ["base", "common", "web"])
        let motd = play.tasks[4]
        XCTAssertEqual(motd.role?.directory, URL(fileURLWithPath: dir + "/roles/common").standardizedFileURL.path)
        XCTAssertEqual(motd.location.file.replacingOccurrences(of: dir + "/", with: ""), "roles/common/tasks/main.yml")
        XCTAssertEqual(motd.location.line, 5)
    }

    func testARoleEntrysWhenTagsAndVarsReachEveryTaskOfTheRole() throws {
        let play = try load().plays[0]
        let web = play.tasks.filter { $0.role?.name == "web" }
        XCTAssertEqual(web.map(\.name), ["port"])
        XCTAssertEqual(web[0].when, ["with_web | default(true)"])
        XCTAssertEqual(web[0].tags, ["web"])
        XCTAssertEqual(web[0].role?.vars, ["web_port": 8080])
        XCTAssertEqual(web[0].role?.params, ["web_label": "from-params"])
        // The base that web imports keeps its own role, under web's conditions.
        let importedBase = play.tasks[7]
        XCTAssertEqual(importedBase.role?.name, "base")
        XCTAssertEqual(importedBase.when, ["with_web | default(true)"])
        XCTAssertEqual(importedBase.tags, ["web"])
        XCTAssertTrue(play.tasks[1].when.isEmpty)
    }

    func testAMissingRoleNamesTheLineAndWhereItLooked() throws {
        try write("missing.yml", "- hosts: all\n  roles:\n    - nginx\n")
        let error = loadError("missing.yml")
        XCTAssertTrue(error.hasPrefix("missing.yml:3: role 'nginx' not found (looked in roles/nginx, nginx; put it in roles/ beside the playbook or set ANSIBLE_ROLES_PATH)"), error)
    }

    /// become_user other than root is refused wherever it is written, rather than ignored
    /// (which would run as root what the playbook meant for another user).
    func testBecomeUserOtherThanRootIsRefusedOnRolesAndIncludes() throws {
        try write("roles/db/tasks/main.yml", "- command: x\n")
        try write("extra.yml", "- command: y\n")
        try write("role-entry.yml", "- hosts: all\n  roles:\n    - {role: db, become_user: postgres}\n")
        try write("include.yml", "- hosts: all\n  tasks:\n    - import_tasks: extra.yml\n      become_user: postgres\n")
        try write("root.yml", "- hosts: all\n  become: true\n  become_user: root\n  roles:\n    - {role: db, become_user: root}\n")
        XCTAssertTrue(loadError("role-entry.yml").hasPrefix("role-entry.yml:3: become_user: postgres is not supported yet"), loadError("role-entry.yml"))
        XCTAssertTrue(loadError("include.yml").hasPrefix("include.yml:4: become_user: postgres is not supported yet"), loadError("include.yml"))
        XCTAssertEqual(try load("root.yml").plays.first?.tasks.count, 1)
    }

    func testADependencyCycleIsAnError() throws {
        try write("roles/base/meta/main.yml", "dependencies: [common]\n")
        let error = loadError()
        XCTAssertEqual(error, "roles/base/meta/main.yml:1: role dependency cycle: common -> base -> common (a role cannot depend on itself, directly or through others)")
    }

    func testRolesPathAndAnsibleCfgAreSearchedAfterRolesBesideThePlaybook() throws {
        try write("env.yml", "- hosts: all\n  roles: [fromenv]\n")
        XCTAssertTrue(loadError("env.yml").contains("role 'fromenv' not found"))
        let env = try load("env.yml", rolesPath: RolesPath(environment: ["ANSIBLE_ROLES_PATH": "/nonexistent:\(dir)/shelf"]))
        XCTAssertEqual(env.plays[0].tasks.map(\.displayName), ["fromenv : found through ANSIBLE_ROLES_PATH"])

        try write("cfg.yml", "- hosts: all\n  roles: [fromcfg]\n")
        try write("ansible.cfg", "[defaults]\n# comment\nroles_path = ./cfgroles:~/nowhere\n")
        XCTAssertEqual(try load("cfg.yml").plays[0].tasks.map(\.displayName), ["fromcfg : found through ansible.cfg"])
        // A role beside the playbook wins over one of the same name elsewhere.
        try write("cfgroles/common/tasks/main.yml", "- debug: msg=wrong\n")
        XCTAssertEqual(try load().plays[0].tasks[2].displayName, "common : level")
    }

    func testImportAndIncludeRoleTakeTasksFromAndAreCheckedLikeTasks() throws {
        try write("imp.yml", """
            - hosts: all
              tasks:
                - import_role: {name: web, tasks_from: extra}
                  when: ready
                - ansible.builtin.include_role:
                    name: base
                  vars: {base_dir: /srv}
            """)
        let play = try load("imp.yml").plays[0]
        XCTAssertEqual(play.tasks.map(\.displayName), ["web : extra", "base : base directory"])
        XCTAssertEqual(play.tasks[0].when, ["ready"])
        XCTAssertEqual(play.tasks[1].role?.params, ["base_dir": "/srv"])

        try write("imp.yml", "- hosts: all\n  tasks:\n    - import_role: {name: web, task_from: extra}\n")
        XCTAssertEqual(loadError("imp.yml"), "imp.yml:3: import_role: unknown parameter 'task_from' (did you mean 'tasks_from'?)")
        try write("imp.yml", "- hosts: all\n  tasks:\n    - import_role: {name: web, tasks_from: nothere}\n")
        XCTAssertTrue(loadError("imp.yml").hasPrefix("imp.yml:3: tasks_from: 'nothere' not found in role web"), loadError("imp.yml"))
        try write("imp.yml", "- hosts: all\n  tasks:\n    - include_role: {name: '{{ which }}'}\n")
        XCTAssertEqual(loadError("imp.yml"), "imp.yml:3: include_role: a templated role name is not supported yet (name the role literally)")
    }

    func testAMistakeInARoleNamesTheRolesFileAndLine() throws {
        try write("roles/web/tasks/main.yml", "- name: port\n  debug: msg=x\n- name: typo\n  shel: echo\n")
        XCTAssertEqual(loadError(), "roles/web/tasks/main.yml:4: unknown module or keyword 'shel' (did you mean 'shell'?)")
        try write("roles/web/tasks/main.yml", "- block: []\n  rescue: [{debug: msg=x}]\n")
        XCTAssertEqual(loadError(), "roles/web/tasks/main.yml:2: rescue without tasks in block (put the tasks that may fail under block:)")
    }

    // MARK: import_tasks / include_tasks

    func testTaskFilesAreIncludedBesideTheIncludingFileUnderItsConditions() throws {
        try write("roles/web/tasks/main.yml", """
            - name: port
              debug: msg=x
            - include_tasks: extra.yml
              when: web_extra
            """)
        try write("inc.yml", """
            - hosts: all
              tasks:
                - import_tasks: tasks/setup.yml
                  tags: [setup]
                  vars: {step: one}
            """)
        try write("tasks/setup.yml", "- name: first\n  debug: msg=\"{{ step }}\"\n  vars: {step: own}\n- ansible.builtin.import_tasks: more.yml\n")
        try write("tasks/more.yml", "- name: second\n  debug: msg=more\n  when: later\n")
        let tasks = try load("inc.yml").plays[0].tasks
        XCTAssertEqual(tasks.map(\.displayName), ["first", "second"])
        XCTAssertEqual(tasks[0].vars, ["step": "one"])      // include parameters win over task vars
        XCTAssertEqual(tasks[1].when, ["later"])
        XCTAssertEqual(tasks.map(\.tags), [["setup"], ["setup"]])
        XCTAssertEqual(tasks[1].location.file.replacingOccurrences(of: dir + "/", with: ""), "tasks/more.yml")

        // In a role, tasks/extra.yml beside tasks/main.yml, and the tasks are the role's.
        let web = try load().plays[0].tasks.filter { $0.role?.name == "web" }
        XCTAssertEqual(web.map(\.displayName), ["web : port", "web : extra"])
        XCTAssertEqual(web[1].when, ["with_web | default(true)", "web_extra"])
    }

    /// A name known only on the host: every file it can name, each guarded by the name.
    func testATemplatedIncludeLoadsEveryFileItCanNameEachGuardedByTheName() throws {
        try write("tasks/setup-Debian.yml", "- name: apt side\n  debug: {msg: deb}\n")
        try write("tasks/setup-RedHat.yml", "- name: dnf side\n  debug: {msg: rpm}\n  when: extra\n")
        try write("inc.yml", "- hosts: all\n  tasks:\n    - include_tasks: tasks/setup-{{ ansible_os_family }}.yml\n      when: wanted\n")
        let tasks = try load("inc.yml").plays[0].tasks
        XCTAssertEqual(tasks.map { $0.name ?? $0.module }, ["apt side", "dnf side", "include_tasks: tasks/setup-{{ ansible_os_family }}.yml"])
        XCTAssertEqual(tasks[0].when, ["wanted", "('tasks/setup-' ~ (ansible_os_family) ~ '.yml') == 'tasks/setup-Debian.yml'"])
        XCTAssertEqual(tasks[1].when, ["wanted", "('tasks/setup-' ~ (ansible_os_family) ~ '.yml') == 'tasks/setup-RedHat.yml'", "extra"])
        XCTAssertEqual(tasks[2].module, "fail")
        XCTAssertEqual(tasks[2].when, ["wanted", "('tasks/setup-' ~ (ansible_os_family) ~ '.yml') not in ['tasks/setup-Debian.yml', 'tasks/setup-RedHat.yml']"])
    }

    func testTaskIncludeMistakesAreClear() throws {
        try write("inc.yml", "- hosts: all\n  tasks:\n    - include_tasks: setup-{{ ansible_os_family }}.yml\n")
        XCTAssertEqual(loadError("inc.yml"), "inc.yml:3: include_tasks: no file matches 'setup-{{ ansible_os_family }}.yml' (read as setup-*.yml) (looked in \(dir))")
        try write("inc.yml", "- hosts: all\n  tasks:\n    - include_tasks: \"{{ d }}/setup.yml\"\n")
        XCTAssertEqual(loadError("inc.yml"), "inc.yml:3: include_tasks: a template in the directory part of '{{ d }}/setup.yml' is not supported (template only the file name, e.g. tasks/setup-{{ ansible_os_family }}.yml)")
        try write("inc.yml", "- hosts: all\n  tasks:\n    - import_tasks: nothere.yml\n")
        XCTAssertTrue(loadError("inc.yml").hasPrefix("inc.yml:3: import_tasks: file not found: 'nothere.yml' (looked for nothere.yml"), loadError("inc.yml"))
        try write("inc.yml", "- hosts: all\n  tasks:\n    - import_tasks: a.yml\n")
        try write("a.yml", "- import_tasks: b.yml\n")
        try write("b.yml", "- import_tasks: a.yml\n")
        XCTAssertEqual(loadError("inc.yml"), "b.yml:1: import_tasks cycle: a.yml -> b.yml -> a.yml (a task file cannot include itself, directly or through others)")
        try write("inc.yml", "- hosts: all\n  tasks:\n    - include_tasks: {file: a.yml, apply: {tags: x}}\n")
        XCTAssertEqual(loadError("inc.yml"), "inc.yml:3: include_tasks: unknown parameter 'apply' ('apply' is not supported yet)")
    }

    // MARK: validate and preflight see the roles

    func testValidateFindsTheRolesTemplatesAndVariables() throws {
        XCTAssertEqual(RunPreflight.validate(playbook: try load()).map(\.description), [])
        try write("roles/common/templates/motd.j2", "{{ greting }}\n")
        let problems = RunPreflight.validate(playbook: try load()).map { $0.description.replacingOccurrences(of: dir + "/", with: "") }
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems[0].hasPrefix("roles/common/templates/motd.j2:1: undefined variable 'greting' (did you mean 'greeting'?)"), problems[0])
        try FileManager.default.removeItem(atPath: dir + "/roles/common/templates/motd.j2")
        let missing = RunPreflight.validate(playbook: try load()).map { $0.description.replacingOccurrences(of: dir + "/", with: "") }
        XCTAssertEqual(missing.count, 1)
        XCTAssertTrue(missing[0].hasPrefix("roles/common/tasks/main.yml:6: template: file 'motd.j2' not found (looked in roles/common/templates/motd.j2, roles/common/motd.j2, templates/motd.j2, motd.j2"), missing[0])
    }

    func testThePreflightChecksARolesFilesWithItsParameters() throws {
        try FileManager.default.removeItem(atPath: dir + "/roles/common/files/banner.txt")
        var inventory = Inventory()
        inventory.add(InventoryHost(name: "h1"), toGroup: "web")
        let problems = try RunPreflight.problems(playbook: try load(), inventory: inventory, targets: [],
                                                 extraVariables: ["out": "/tmp"], secretVariables: [:])
            .map { $0.description.replacingOccurrences(of: dir + "/", with: "") }
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems[0].hasPrefix("roles/common/tasks/main.yml:9: copy: src 'banner.txt' not found on the controller (tried roles/common/files/banner.txt, roles/common/banner.txt, files/banner.txt, banner.txt"), problems[0])
    }

    // MARK: running them

    func testARunUsesTheRolesFilesAndAnsiblesPrecedence() throws {
        let local = LocalPlaybook(directory: dir)
        let out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var options = RunOptions()
        options.extraVariables = ["out": .string(out)]
        let (reporter, recap) = try local.run(path: dir + "/site.yml", options: options)
        XCTAssertEqual(recap.first?.1.failed, 0, "\(reporter.tasks.map { "\($0.task): \($0.message ?? "")" })")
        func message(_ task: String) -> String? { reporter.tasks.first { $0.task == task }?.message }
        XCTAssertEqual(message("common : level"), "role vars")              // role vars > play vars
        XCTAssertEqual(message("common : where"), URL(fileURLWithPath: dir + "/roles/common").standardizedFileURL.path)
        XCTAssertEqual(message("web : port"), "8080 from-params")           // entry vars, role params
        XCTAssertEqual(message("after the roles"), "hello from defaults")   // role defaults are play-wide
        XCTAssertEqual(try String(contentsOfFile: out + "/motd", encoding: .utf8), "hello from defaults on local (\(out)/base)\n")
        XCTAssertEqual(try String(contentsOfFile: out + "/banner", encoding: .utf8), "banner from the role's files/\n")
        XCTAssertEqual(reporter.status(of: "common : motd changed"), .ok)    // the role's handler ran
        XCTAssertEqual(message("common : motd changed"), "handler ran")

        // Inventory beats role defaults; -e beats role parameters.
        options.extraVariables["web_label"] = "from -e"
        let (again, second) = try local.run(path: dir + "/site.yml", options: options, hostVariables: ["greeting": "from the inventory"])
        XCTAssertEqual(second.first?.1.changed, 1, "\(again.tasks.map { "\($0.task): \($0.status)" })")  // only the motd text
        XCTAssertEqual(again.tasks.first { $0.task == "after the roles" }?.message, "from the inventory")
        XCTAssertEqual(again.tasks.first { $0.task == "web : port" }?.message, "8080 from -e")
    }

    func testARoleEntrysConditionSkipsTheRole() throws {
        let local = LocalPlaybook(directory: dir)
        var options = RunOptions()
        options.extraVariables = ["out": .string(dir), "with_web": false]
        let (reporter, _) = try local.run(path: dir + "/site.yml", options: options)
        XCTAssertEqual(reporter.status(of: "web : port"), .skipped)
        options.extraVariables["with_web"] = true
        options.skipTags = ["web"]
        let (skipped, _) = try local.run(path: dir + "/site.yml", options: options)
        XCTAssertNil(skipped.status(of: "web : port"))
        XCTAssertEqual(skipped.status(of: "common : level"), .ok)
    }
}
