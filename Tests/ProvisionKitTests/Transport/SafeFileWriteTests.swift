import Foundation
import XCTest
@testable import ProvisionCore
@testable import Transport
@testable import Database
@testable import Cloud
@testable import Inventory
@testable import Playbook
@testable import Modules
@testable import Engine

/// Issue 17 items 1 and 3: the one file-writing script, on this machine through the local
/// connection (the same script the libssh2 and OpenSSH transports send): hostile paths, a
/// planted symbolic link, and a web user racing the writes.
final class SafeFileWriteTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try makeTempDir()
        XCTAssertEqual(chmod(dir, 0o755), 0)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func entries(_ path: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    func info(_ path: String) -> stat? {
        var s = stat()
        return lstat(path, &s) == 0 ? s : nil
    }

    /// `script` running as the web user (nobody) beside the test, until it finds `stop`.
    func racer(_ script: String) throws -> Process {
        let attacker = Process()
        attacker.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        attacker.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c", script]
        attacker.standardOutput = FileHandle.nullDevice
        attacker.standardError = FileHandle.nullDevice
        try attacker.run()
        return attacker
    }

    func testHostilePathsAndCleanupWithSpaces() throws {
        let names = ["a b", "it's", "new\nline", "-lead", "$(touch pwned)", "`touch pwned2`", "semi;colon", "--", "x=1", "ünï"]
        let connection = LocalConnection()
        for name in names {
            let sub = dir + "/" + name
            try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
            let target = sub + "/" + name
            try connection.put(Data("content of \(name)\n".utf8), to: target, attributes: FileAttributes(mode: 0o604), become: false)
            XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "content of \(name)\n", name.debugDescription)
            XCTAssertEqual(info(target).map { Int($0.st_mode & 0o7777) }, 0o604, name.debugDescription)
            XCTAssertEqual(entries(sub), [name], "no temporary left beside \(name.debugDescription)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/pwned"))
        XCTAssertEqual(entries(dir).filter { $0.hasPrefix("pwned") || $0.hasPrefix(".provision") }, [])

        // The staging directory is removed by its exact name, even with a space: a sibling
        // named like its first word survives (the old trap removed that one).
        for stage in ["stage dir", "stage"] { try FileManager.default.createDirectory(atPath: dir + "/" + stage, withIntermediateDirectories: true) }
        try Data("staged\n".utf8).write(to: URL(fileURLWithPath: dir + "/stage dir/f"))
        let script = RemoteCommand.installScript(source: dir + "/stage dir/f", path: dir + "/out", attributes: FileAttributes(mode: 0o600), cleanup: dir + "/stage dir")
        let r = try connection.run(script)
        XCTAssertEqual(r.exitStatus, 0, r.stderrText)
        XCTAssertEqual(try String(contentsOfFile: dir + "/out", encoding: .utf8), "staged\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/stage dir"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/stage"))
    }

    /// A destination that is a symbolic link (to a root-only file, or to a directory) is
    /// replaced by the new file; what it pointed to is untouched.
    func testAPlantedSymlinkIsReplacedNotWrittenThrough() throws {
        guard geteuid() == 0 else { throw Prerequisite.missing("needs root (chown to the web user)") }
        let web = dir + "/html", protected = dir + "/protected", protectedDir = dir + "/protected-dir"
        try FileManager.default.createDirectory(atPath: web, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: protectedDir, withIntermediateDirectories: true)
        XCTAssertEqual(chown(web, 65534, 65534), 0)
        try Data("root only\n".utf8).write(to: URL(fileURLWithPath: protected))
        XCTAssertEqual(chmod(protected, 0o600), 0)
        XCTAssertEqual(chmod(protectedDir, 0o700), 0)
        let connection = LocalConnection()
        for (name, target) in [("wp-config.php", protected), (".htaccess", protectedDir)] {
            XCTAssertEqual(symlink(target, web + "/" + name), 0)
            try connection.put(Data("<?php // new\n".utf8), to: web + "/" + name,
                               attributes: FileAttributes(mode: 0o640, owner: "65534", group: "65534"), become: false)
            let written = try XCTUnwrap(info(web + "/" + name))
            XCTAssertEqual(written.st_mode & S_IFMT, S_IFREG, "\(name) is a regular file now")
            XCTAssertEqual([written.st_uid, written.st_gid], [65534, 65534])
            XCTAssertEqual(written.st_mode & 0o7777, 0o640)
            XCTAssertEqual(try String(contentsOfFile: web + "/" + name, encoding: .utf8), "<?php // new\n")
        }
        let kept = try XCTUnwrap(info(protected))
        XCTAssertEqual([kept.st_uid, kept.st_gid, kept.st_mode & 0o7777], [0, 0, 0o600])
        XCTAssertEqual(try String(contentsOfFile: protected, encoding: .utf8), "root only\n")
        XCTAssertEqual(entries(protectedDir), [])
        XCTAssertEqual(entries(web), [".htaccess", "wp-config.php"])
    }

    /// The web user (nobody here) races every write: it swaps the destination and anything
    /// named like a temporary for links to a root-only file and directory. The root-only
    /// file stays root's, unchanged; nothing is written into the root-only directory.
    func testARacingWebUserNeverGetsARootFile() throws {
        guard geteuid() == 0 else { throw Prerequisite.missing("needs root (a second user racing)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { throw Prerequisite.missing("setpriv missing") }
        let web = dir + "/html", protected = dir + "/protected", protectedDir = dir + "/protected-dir"
        try FileManager.default.createDirectory(atPath: web, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: protectedDir, withIntermediateDirectories: true)
        XCTAssertEqual(chown(web, 65534, 65534), 0)
        try Data("root only\n".utf8).write(to: URL(fileURLWithPath: protected))
        XCTAssertEqual(chmod(protected, 0o600), 0)
        XCTAssertEqual(chmod(protectedDir, 0o700), 0)
        let attack = """
            cd \(Shell.quote(web)) || exit 1
            n=0
            while [ ! -e stop ]; do
              for f in .provision-* .wp-config.php.* wp-config.php/f; do
                if [ -e "$f" ] || [ -L "$f" ]; then
                  n=$((n+1)); mv -f -- "$f" "moved-$n" 2>/dev/null
                  if [ $((n % 2)) = 0 ]; then ln -s \(Shell.quote(protected)) "$f" 2>/dev/null; else ln -s \(Shell.quote(protectedDir)) "$f" 2>/dev/null; fi
                fi
              done
              ln -sfn \(Shell.quote(protected)) wp-config.php 2>/dev/null
            done
            """
        let attacker = try racer(attack)
        let connection = LocalConnection()
        var failures = 0
        for i in 0..<300 {
            do {
                try connection.put(Data("<?php // \(i)\n".utf8), to: web + "/wp-config.php",
                                   attributes: FileAttributes(mode: 0o640, owner: "65534", group: "65534"), become: false)
            } catch {
                failures += 1
            }
        }
        FileManager.default.createFile(atPath: web + "/stop", contents: nil)
        attacker.waitUntilExit()
        let kept = try XCTUnwrap(info(protected))
        XCTAssertEqual([kept.st_uid, kept.st_gid, kept.st_mode & 0o7777], [0, 0, 0o600], "the root-only file was handed to the web user")
        XCTAssertEqual(try String(contentsOfFile: protected, encoding: .utf8), "root only\n")
        XCTAssertEqual(entries(protectedDir), [], "written into the root-only directory")
        // With the racer gone, the next write leaves a regular file.
        try connection.put(Data("<?php // final\n".utf8), to: web + "/wp-config.php",
                           attributes: FileAttributes(mode: 0o640, owner: "65534", group: "65534"), become: false)
        XCTAssertEqual(try XCTUnwrap(info(web + "/wp-config.php")).st_mode & S_IFMT, S_IFREG)
        XCTAssertEqual(try String(contentsOfFile: web + "/wp-config.php", encoding: .utf8), "<?php // final\n")
        print("racing web user: \(failures) of 300 writes refused")
    }

    /// `validate` on a file in the web user's directory: the web user renames every
    /// temporary it sees and plants, at its name, a link to a root-only file or to a directory
    /// whose `f` is such a link. The validator (root) must only ever read the new content.
    func testAValidatorReadsOnlyTheNewFileWhileTheWebUserRaces() throws {
        guard geteuid() == 0 else { throw Prerequisite.missing("needs root (a second user racing)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { throw Prerequisite.missing("setpriv missing") }
        let web = dir + "/html", protected = dir + "/protected", bait = dir + "/bait"
        try FileManager.default.createDirectory(atPath: web, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: bait, withIntermediateDirectories: true)
        XCTAssertEqual(chown(web, 65534, 65534), 0)
        try Data("root only\n".utf8).write(to: URL(fileURLWithPath: protected))
        XCTAssertEqual(chmod(protected, 0o600), 0)
        XCTAssertEqual(symlink(protected, bait + "/f"), 0)
        let attack = """
            cd \(Shell.quote(web)) || exit 1
            n=0
            while [ ! -e stop ]; do
              for f in .provision-*; do
                if [ -e "$f" ] && [ ! -L "$f" ]; then
                  n=$((n+1)); mv -f -- "$f" "moved-$n" 2>/dev/null
                  if [ $((n % 2)) = 0 ]; then ln -s \(Shell.quote(protected)) "$f"; else ln -s \(Shell.quote(bait)) "$f"; fi 2>/dev/null
                fi
              done
            done
            """
        let attacker = try racer(attack)
        let connection = LocalConnection()
        var refusals = 0, leaks: [String] = []
        // The validator prints what it checks and refuses, so every run shows what it read.
        let attributes = FileAttributes(mode: 0o640, owner: "65534", group: "65534", validation: "sleep 0.01; cat %s >&2; false")
        for i in 0..<200 {
            do {
                try connection.put(Data("new \(i)\n".utf8), to: web + "/site.conf", attributes: attributes, become: false)
                XCTFail("a refusing validator let the file in")
            } catch let refused as FileValidationFailed {
                refusals += 1
                if refused.stderr.contains("root only") { leaks.append(refused.stderr) }
                XCTAssertEqual(refused.stderr, "new \(i)", "the validator read something else")
            } catch {
                // The racer may break the write itself (it renames the private directory): refused, never read.
            }
        }
        XCTAssertTrue(FileManager.default.createFile(atPath: web + "/stop", contents: nil))
        attacker.waitUntilExit()
        XCTAssertEqual(leaks, [], "the validator read the root-only file")
        XCTAssertGreaterThan(refusals, 0)
        XCTAssertNil(info(web + "/site.conf"), "a refused file was put in place")
        print("racing web user during validate: \(refusals) of 200 writes reached the validator")
    }

    /// A passing validator lets the file in; `%s` is the new content, whatever directory the
    /// validator works in.
    func testAPassingValidatorLetsTheFileIn() throws {
        let connection = LocalConnection()
        let path = dir + "/site.conf"
        try connection.put(Data("good\n".utf8), to: path,
                           attributes: FileAttributes(mode: 0o600, validation: "cd / && b=clobbered && grep -q good %s"), become: false)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "good\n")
        XCTAssertEqual(info(path).map { Int($0.st_mode & 0o7777) }, 0o600)
        XCTAssertThrowsError(try connection.put(Data("bad\n".utf8), to: path,
                                                attributes: FileAttributes(validation: "grep -q good %s"), become: false)) { error in
            XCTAssertEqual((error as? FileValidationFailed)?.exitStatus, 1, "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "good\n")
        XCTAssertEqual(entries(dir), ["site.conf"], "a temporary was left behind")
    }

    /// copy with content equal to a linked file's: the link is replaced, the linked file's
    /// owner and mode are not "fixed" through it.
    func testCopyNeverFixesAttributesThroughALink() throws {
        let local = try LocalPlaybook()
        defer { local.remove() }
        let protected = dir + "/protected", link = dir + "/site.conf"
        try Data("same\n".utf8).write(to: URL(fileURLWithPath: protected))
        XCTAssertEqual(chmod(protected, 0o600), 0)
        XCTAssertEqual(symlink(protected, link), 0)
        let (reporter, _) = try local.run("""
            - hosts: machines
              tasks:
                - name: conf
                  copy: {dest: "\(link)", content: "same\\n", mode: "0644"}
            """)
        XCTAssertEqual(reporter.tasks.first?.status, .changed, "\(reporter.tasks.map { $0.message ?? "" })")
        XCTAssertEqual(info(protected).map { Int($0.st_mode & 0o7777) }, 0o600, "mode changed through the link")
        XCTAssertEqual(try XCTUnwrap(info(link)).st_mode & S_IFMT, S_IFREG)
        XCTAssertEqual(info(link).map { Int($0.st_mode & 0o7777) }, 0o644)
        XCTAssertEqual(try String(contentsOfFile: link, encoding: .utf8), "same\n")
    }
}
