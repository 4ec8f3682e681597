import Foundation
import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

/// unarchive for real through LocalConnection: archives built here with tar/python,
/// a URL served by a local HTTP server, markers in /var/lib/provision/unarchive.
final class FilesUnarchiveTests: XCTestCase {
    var host: FileModuleDriver!
    var markers: [String] = []

    override func setUpWithError() throws {
        host = try FileModuleDriver()
        // A small "wordpress-x.y.tar.gz": one top directory, as WordPress ships it.
        _ = try host.shell("""
            cd \(Shell.quote(host.directory)) && mkdir -p src/wordpress/wp-admin && echo '<?php // index' > src/wordpress/index.php \
            && echo admin > src/wordpress/wp-admin/admin.php && tar -czf wordpress.tar.gz -C src wordpress \
            && mkdir www && chown root:root www
            """)
    }

    override func tearDown() {
        for m in markers { try? FileManager.default.removeItem(atPath: m) }
        host.remove()
    }

    func marker(for dest: String) -> String {
        let path = UnarchiveModule.markerDirectory + "/" + SHA256.hex(dest)
        markers.append(path)
        return path
    }

    func testLocalTarballWithStripComponentsAndOwner() throws {
        let www = host.path("www")
        let args: [String: Value] = ["src": "wordpress.tar.gz", "dest": .string(www), "strip_components": 1, "owner": "www-data", "group": "www-data"]
        let marker = marker(for: www)
        try host.assertConverges(UnarchiveModule.spec, args, snapshot: { (try? host.shell("find \(Shell.quote(www)) -printf '%P %u\\n' | sort")) ?? "" })
        XCTAssertEqual(try host.shell("stat -c %U \(www)/index.php \(www)/wp-admin/admin.php"), "www-data\nwww-data\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker))
        XCTAssertFalse(FileManager.default.fileExists(atPath: www + "/wordpress"), "strip_components removed the top directory")
        XCTAssertEqual(try host.shell("ls /tmp | grep -c '^provision-unarchive' || true"), "0\n", "temp dir cleaned")

        // An interrupted unpack never wrote its marker: the next run unpacks again.
        try FileManager.default.removeItem(atPath: marker)
        XCTAssertTrue(try host.run(UnarchiveModule.spec, args, check: true).changed)
        XCTAssertTrue(try host.run(UnarchiveModule.spec, args).changed)
        XCTAssertFalse(try host.run(UnarchiveModule.spec, args).changed)

        // A different archive (new content) is unpacked again.
        _ = try host.shell("cd \(Shell.quote(host.directory)) && echo new > src/wordpress/readme.html && tar -czf wordpress.tar.gz -C src wordpress")
        let changed = try host.run(UnarchiveModule.spec, args)
        XCTAssertTrue(changed.changed)
        XCTAssertEqual(try host.shell("cat \(www)/readme.html"), "new\n")
        // Different options count as a different unpack.
        var noOwner = args
        noOwner["owner"] = nil
        noOwner["group"] = nil
        XCTAssertTrue(try host.run(UnarchiveModule.spec, noOwner, check: true).changed)
    }

    func testCreatesAndMissingDest() throws {
        let www = host.path("www")
        _ = marker(for: www)
        _ = try host.shell("touch \(www)/wp-settings.php")
        XCTAssertFalse(try host.run(UnarchiveModule.spec, ["src": "wordpress.tar.gz", "dest": .string(www), "creates": .string(www + "/wp-settings.php")]).changed)
        let missing = host.path("nowhere")
        _ = marker(for: missing)
        XCTAssertThrowsError(try host.run(UnarchiveModule.spec, ["src": "wordpress.tar.gz", "dest": .string(missing)]))
        XCTAssertTrue(try host.run(UnarchiveModule.spec, ["src": "wordpress.tar.gz", "dest": .string(missing)], check: true).changed,
                      "check mode: an earlier task may create dest")
    }

    func testURLFetchedOnTheHostWithChecksum() throws {
        let server = try HTTPServer(directory: host.directory)
        defer { server.stop() }
        let digest = try SHA256.hex(fileAt: host.path("wordpress.tar.gz"))
        let www = host.path("www")
        let marker = marker(for: www)
        let url = "http://127.0.0.1:\(server.port)/wordpress.tar.gz"
        let wrong: [String: Value] = ["src": .string(url), "dest": .string(www), "strip_components": 1, "checksum": .string("sha256:" + String(repeating: "0", count: 64))]
        XCTAssertThrowsError(try host.run(UnarchiveModule.spec, wrong)) { error in
            XCTAssertTrue("\(error)".contains("checksum mismatch"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: www + "/index.php"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
        let args: [String: Value] = ["src": .string(url), "dest": .string(www), "strip_components": 1, "checksum": .string("sha256:" + digest)]
        try host.assertConverges(UnarchiveModule.spec, args, snapshot: { (try? host.shell("find \(Shell.quote(www)) | sort")) ?? "" })
        XCTAssertEqual(try host.shell("cat \(www)/index.php"), "<?php // index\n")
    }

    /// Issue 17 item 2: a local archive goes into a private directory under the login user's
    /// TMPDIR (here one with a space), root's tar restores neither the owners nor the modes stored
    /// in the archive (a setuid 4777 file owned by uid 12345), and the upload is gone after a run
    /// that succeeded and after one that failed.
    func testLocalUploadUnpackedWithoutStoredOwnersAndModesAndRemovedOnEveryPath() throws {
        let tmp = host.path("tmp dir")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let saved = ProcessInfo.processInfo.environment["TMPDIR"]
        setenv("TMPDIR", tmp, 1)
        defer { if let saved { setenv("TMPDIR", saved, 1) } else { unsetenv("TMPDIR") } }
        _ = try host.shell("""
            cd \(Shell.quote(host.directory)) && mkdir -p evil/top && echo x > evil/top/f && chmod 4777 evil/top/f \
            && chown 12345:12345 evil/top/f && tar -czf evil.tar.gz -C evil top && echo 'not an archive' > broken.tar.gz
            """)
        let www = host.path("www")
        _ = marker(for: www)
        XCTAssertTrue(try host.run(UnarchiveModule.spec, ["src": "evil.tar.gz", "dest": .string(www)]).changed)
        XCTAssertEqual(try host.shell("stat -c '%u:%g %a' \(Shell.quote(www))/top/f"), "0:0 755\n",
                       "the archive's owner and setuid mode were not restored")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), [], "upload and work directory removed")

        XCTAssertThrowsError(try host.run(UnarchiveModule.spec, ["src": "broken.tar.gz", "dest": .string(www)]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp), [], "removed after a failed unpack too")
    }

    func testZipAndRemoteSrc() throws {
        _ = try host.shell("cd \(Shell.quote(host.directory))/src && python3 -c \"import zipfile; z = zipfile.ZipFile('../site.zip', 'w'); z.write('wordpress/index.php'); z.close()\"")
        let www = host.path("www")
        _ = marker(for: www)
        try host.assertConverges(UnarchiveModule.spec, ["src": .string(host.path("site.zip")), "dest": .string(www), "remote_src": true],
                                 snapshot: { (try? host.shell("find \(Shell.quote(www)) | sort")) ?? "" })
        XCTAssertTrue(FileManager.default.fileExists(atPath: www + "/wordpress/index.php"))
        XCTAssertThrowsError(try host.run(UnarchiveModule.spec, ["src": .string(host.path("gone.tar.gz")), "dest": .string(www), "remote_src": true]))
    }
}

/// `python3 -m http.server` on a free port, for URL sources.
final class HTTPServer {
    let process = Process()
    let port: Int

    init(directory: String) throws {
        port = Int.random(in: 20_000...40_000)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", directory]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<50 {
            if (try? LocalConnection().run("curl -fs -o /dev/null http://127.0.0.1:\(port)/").exitStatus) == 0 { return }
            usleep(100_000)
        }
        throw ModuleError("http server did not start")
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
