import Foundation
import XCTest

/// Bad input, table-driven (issue 9): each case writes its files, runs the real `provision`
/// binary and asserts the exit code and the message, which names the file and line where
/// there is one and says what to do. The inventory's host is a TCP listener on loopback
/// that counts connections: a case that must fail before connecting must find it untouched.
final class BadInputTests: XCTestCase {
    struct Case {
        var name: String
        var files: [String: String] = [:]
        var arguments: [String]
        var status: Int32 = 1
        /// Fragments the error output must contain.
        var messages: [String]
        /// Whether the case may reach the host (it fails at or after connecting).
        var connects = false
        var setup: ((String) -> Void)? = nil
    }

    static let okPlay = "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n"
    static func play(_ tasks: String, vars: String = "") -> String {
        "- hosts: all\n" + (vars.isEmpty ? "" : "  vars:\n" + vars) + "  tasks:\n" + tasks
    }

    var cases: [Case] {
        [
            // --- YAML -------------------------------------------------------------------------
            Case(name: "tab indentation", files: ["p.yml": "- hosts: all\n  tasks:\n\t- debug: {msg: x}\n"],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "tab"]),
            Case(name: "bad indentation", files: ["p.yml": "- hosts: all\n  tasks:\n    - name: a\n      debug: {msg: x}\n     when: true\n"],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:5"]),
            Case(name: "duplicate key in a task", files: ["p.yml": Self.play("    - name: a\n      debug: {msg: x}\n      name: b\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:5", "duplicate key 'name'"]),
            Case(name: "unclosed flow mapping", files: ["p.yml": Self.play("    - debug: {msg: x\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:"]),
            Case(name: "playbook is a mapping", files: ["p.yml": "hosts: all\ntasks: []\n"],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:1", "list of plays"]),
            Case(name: "playbook file missing", arguments: ["-p", "nope.yml", "web"], messages: ["nope.yml"]),
            Case(name: "play without hosts", files: ["p.yml": "- tasks:\n    - debug: {msg: x}\n"],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:1", "hosts"]),
            // --- modules and parameters ----------------------------------------------------------
            Case(name: "unknown module", files: ["p.yml": Self.play("    - name: typo\n      shel: {cmd: 'true'}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:4", "unknown module or keyword 'shel'", "did you mean 'shell'?"]),
            Case(name: "two modules in one task", files: ["p.yml": Self.play("    - debug: {msg: x}\n      shell: 'true'\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:4", "a task has exactly one module", "split it"]),
            Case(name: "unknown parameter", files: ["p.yml": Self.play("    - file: {path: /tmp/x, stat: touch}\n")],
                 arguments: ["validate", "p.yml"], messages: ["p.yml:3", "stat", "did you mean 'state'?"]),
            Case(name: "missing parameter", files: ["p.yml": Self.play("    - copy: {content: x}\n")],
                 arguments: ["validate", "p.yml"], messages: ["p.yml:3", "dest"]),
            Case(name: "wrong type for a bool", files: ["p.yml": Self.play("    - service: {name: apache2, enabled: maybe}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "enabled"]),
            Case(name: "value not among the choices", files: ["p.yml": Self.play("    - file: {path: /tmp/x, state: folder}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "folder", "directory"]),
            Case(name: "bad file mode", files: ["p.yml": Self.play("    - file: {path: /tmp/x, state: touch, mode: '0999'}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "mode"]),
            Case(name: "undefined variable", files: ["p.yml": Self.play("    - debug: {msg: '{{ db_pasword }}'}\n")],
                 arguments: ["validate", "p.yml"], messages: ["p.yml:3", "db_pasword"]),
            Case(name: "loop over a non-list", files: ["p.yml": Self.play("    - debug: {msg: '{{ item }}'}\n      loop: 5\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:4", "loop"]),
            Case(name: "template syntax error in a parameter", files: ["p.yml": Self.play("    - debug: {msg: '{{ x '}\n", vars: "    x: 1\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:5"]),
            Case(name: "when with a syntax error", files: ["p.yml": Self.play("    - debug: {msg: x}\n      when: x ==\n", vars: "    x: 1\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:6"]),
            Case(name: "notify of an unknown handler", files: ["p.yml": Self.play("    - debug: {msg: x}\n      notify: restart apache\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:4", "restart apache"]),
            Case(name: "template file syntax error",
                 files: ["p.yml": Self.play("    - template: {src: t.j2, dest: /tmp/t}\n"), "templates/t.j2": "line\n{% if x %}\nno end\n"],
                 arguments: ["validate", "p.yml"], messages: ["t.j2:2"]),
            Case(name: "missing template file", files: ["p.yml": Self.play("    - template: {src: missing.j2, dest: /tmp/t}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "missing.j2"]),
            Case(name: "missing archive file", files: ["p.yml": Self.play("    - unarchive: {src: missing.tar.gz, dest: /tmp}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "missing.tar.gz"]),
            Case(name: "missing vars file", files: ["p.yml": "- hosts: all\n  vars_files: [nope.yml]\n  tasks:\n    - debug: {msg: x}\n"],
                 arguments: ["-p", "p.yml", "web"], messages: ["nope.yml"]),
            // --- names that would reach a shell or SQL -------------------------------------------
            Case(name: "DB name with a quote", files: ["p.yml": Self.play("    - mysql_db: {name: \"wp'; DROP DATABASE x; --\"}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "database name"]),
            Case(name: "DB name with a backtick", files: ["p.yml": Self.play("    - mysql_db: {name: \"wp`x\"}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "database name"]),
            Case(name: "DB name with a semicolon", files: ["p.yml": Self.play("    - mysql_db: {name: \"wp;x\"}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "database name"]),
            Case(name: "over-long DB name", files: ["p.yml": Self.play("    - mysql_db: {name: \(String(repeating: "w", count: 65))}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "64"]),
            Case(name: "user name with a quote", files: ["p.yml": Self.play("    - mysql_user: {name: \"wp'x\", password: secret-pw}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "user name"]),
            Case(name: "over-long user name", files: ["p.yml": Self.play("    - mysql_user: {name: \(String(repeating: "u", count: 33)), password: secret-pw}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "at most 32"]),
            Case(name: "service name with shell metacharacters", files: ["p.yml": Self.play("    - service: {name: 'apache2; rm -rf /', state: started}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "is not a valid service name"]),
            Case(name: "extras topic with a command substitution", files: ["p.yml": Self.play("    - amazon_linux_extras: {name: 'php$(id)'}\n")],
                 arguments: ["-p", "p.yml", "web"], messages: ["p.yml:3", "is not a topic name"]),
            // --- inventory and targets -------------------------------------------------------------
            Case(name: "unknown host", arguments: ["-p", "ok.yml", "web-9"], messages: ["unknown host or group 'web-9'", "did you mean 'web'?"]),
            Case(name: "inventory file missing", arguments: ["-i", "nope.yml", "-p", "ok.yml", "web"], messages: ["inventory file nope.yml not found"]),
            Case(name: "inventory group cycle",
                 files: ["inventory.yml": "all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n"],
                 arguments: ["-p", "ok.yml", "a"], messages: ["inventory.yml:7", "group 'a' contains itself (a -> b -> a)"]),
            Case(name: "inventory unknown key", files: ["inventory.yml": "all:\n  host:\n    web: {}\n"],
                 arguments: ["-p", "ok.yml", "web"], messages: ["inventory.yml:2", "unknown key 'host'", "did you mean 'hosts'?"]),
            Case(name: "inventory bad port", files: ["inventory.yml": "all:\n  hosts:\n    web: {ansible_host: 127.0.0.1, ansible_port: 70000}\n"],
                 arguments: ["-p", "ok.yml", "web"], messages: ["inventory.yml:3", "port must be a number from 1 to 65535"]),
            Case(name: "host name with a space", files: ["inventory.yml": "all:\n  hosts:\n    \"web 1\": {ansible_host: 127.0.0.1}\n"],
                 arguments: ["-p", "ok.yml", "all"], messages: ["inventory.yml:3", "may contain only letters"]),
            Case(name: "host name with shell metacharacters", files: ["inventory.yml": "all:\n  hosts:\n    \"web;$(id)\": {ansible_host: 127.0.0.1}\n"],
                 arguments: ["-p", "ok.yml", "all"], messages: ["inventory.yml:3", "may contain only letters"]),
            Case(name: "host name that looks like an option", files: ["inventory.yml": "all:\n  hosts:\n    -oProxyCommand=x: {}\n"],
                 arguments: ["-p", "ok.yml", "all"], messages: ["inventory.yml:3", "may contain only letters"]),
            Case(name: "EC2 inventory with a bad region", arguments: ["hosts", "-i", "ec2://tokyo?tag:Name=web"], messages: ["'tokyo' is not an AWS region"]),
            // --- command line ------------------------------------------------------------------------
            Case(name: "-e without a value", arguments: ["-p", "ok.yml", "-e", "novalue", "web"], messages: ["-e"]),
            Case(name: "-e with broken JSON", arguments: ["-p", "ok.yml", "-e", "{\"a\": ", "web"], messages: ["-e"]),
            Case(name: "-e @file missing", arguments: ["-p", "ok.yml", "-e", "@nope.yml", "web"], messages: ["nope.yml"]),
            Case(name: "--serial 0", arguments: ["-p", "ok.yml", "--serial", "0", "web"], messages: ["--serial"]),
            Case(name: "--forks 0", arguments: ["-p", "ok.yml", "--forks", "0", "web"], messages: ["--forks must be at least 1"]),
            Case(name: "--max-fail-percentage 150", arguments: ["-p", "ok.yml", "--max-fail-percentage", "150", "web"],
                 messages: ["--max-fail-percentage must be from 0 to 100"]),
            Case(name: "--lb-target-group not an ARN", arguments: ["-p", "ok.yml", "--lb-target-group", "web-tg", "web"],
                 messages: ["'web-tg' is not a target group ARN"]),
            Case(name: "secrets file readable by others", files: ["secrets.yml": "db_password: x\n"],
                 arguments: ["-p", "ok.yml", "web"], messages: ["secrets file secrets.yml is readable by others (mode 644)", "chmod 600"],
                 setup: { dir in chmod(dir + "/secrets.yml", 0o644) }),
            // --- at the host: clear and exit 4 ----------------------------------------------------------
            Case(name: "not an SSH server on the port", arguments: ["-p", "ok.yml", "web"], status: 4,
                 messages: ["web: UNREACHABLE", "does not answer like an SSH server"], connects: true),
        ]
    }

    func testEveryBadInputFailsClearlyAndTouchesNoHost() throws {
        let listener = try CountingListener(reply: "HTTP/1.1 400 Bad Request\r\n\r\n")
        defer { listener.stop() }
        XCTAssertGreaterThanOrEqual(cases.count, 40)
        for c in cases {
            let dir = NSTemporaryDirectory() + "bad-input-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: dir + "/templates", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let inventory = "all:\n  hosts:\n    web: {ansible_host: 127.0.0.1, ansible_port: \(listener.port)}\n"
            var files = ["inventory.yml": inventory, "ok.yml": Self.okPlay]
            files.merge(c.files) { $1 }
            for (name, text) in files {
                let path = dir + "/" + name
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
            }
            c.setup?(dir)
            let before = listener.accepted
            let ownsInventory = c.arguments.contains("-i") || ["validate", "hosts"].contains(c.arguments.first ?? "")
            let out = TestProcess.run(TestProcess.provisionBinary, (ownsInventory ? [] : ["-i", "inventory.yml"]) + c.arguments,
                                      environment: ["HOME": dir], directory: dir)
            let all = out.stdout + out.stderr
            XCTAssertEqual(out.status, c.status, "\(c.name): exit status\n\(all)")
            for fragment in c.messages {
                XCTAssertTrue(all.contains(fragment), "\(c.name): no '\(fragment)' in:\n\(all)")
            }
            XCTAssertFalse(all.contains("Fatal error") || all.contains("Stack dump"), "\(c.name): crashed\n\(all)")
            if !c.connects {
                XCTAssertEqual(listener.accepted, before, "\(c.name): the host was contacted")
            }
        }
    }
}

/// A TCP listener on 127.0.0.1 that counts connections and answers each with `reply`.
final class CountingListener: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var count = 0
    private var stopped = false
    var accepted: Int { lock.lock(); defer { lock.unlock() }; return count }

    init(reply: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw Prerequisite.missing("cannot listen on loopback") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        let socketFD = fd
        let bytes = Array(reply.utf8)
        Thread { [weak self] in
            while true {
                let client = accept(socketFD, nil, nil)
                guard client >= 0, let self else { return }
                self.lock.lock(); self.count += 1; let done = self.stopped; self.lock.unlock()
                if done { close(client); return }
                _ = bytes.withUnsafeBytes { write(client, $0.baseAddress, bytes.count) }
                close(client)
            }
        }.start()
    }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
