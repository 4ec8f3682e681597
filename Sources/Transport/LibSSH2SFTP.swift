import CLibSSH2
import Foundation
import ProvisionCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Uploads over SFTP.
extension LibSSH2Loop {
    // MARK: Files

    func sftpSession(deadline: Date?) throws -> OpaquePointer {
        if let sftp { return sftp }
        let session = try ensureSession()
        guard let handle = try openGated(until: deadline, { libssh2_sftp_init(session) }) else {
            if let broken { throw broken }
            throw ConnectionError.protocolError(host: host, message: "cannot start SFTP: \(lastError())")
        }
        sftp = handle
        return handle
    }

    func sftpErrorText(_ sftp: OpaquePointer) -> String {
        if libssh2_session_last_errno(session) != LIBSSH2_ERROR_SFTP_PROTOCOL { return lastError() }
        switch libssh2_sftp_last_error(sftp) {
        case LIBSSH2_FX_NO_SUCH_FILE, LIBSSH2_FX_NO_SUCH_PATH: return "no such directory"
        case LIBSSH2_FX_PERMISSION_DENIED: return "permission denied"
        case let code: return "SFTP error \(code)"
        }
    }

    /// Writes `source` to a new remote file `remotePath` (must not exist) with `mode`.
    func sftpWrite<S: ByteSource>(_ source: inout S, to remotePath: String, mode: Int, finalPath: String) throws {
        let sftp = try sftpSession(deadline: nil)
        let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL)
        guard let file = try retryHandle(until: nil, {
            libssh2_sftp_open_ex(sftp, remotePath, UInt32(remotePath.utf8.count), flags, mode, LIBSSH2_SFTP_OPENFILE)
        }) else {
            if let broken { throw broken }
            throw RemoteFileError(host: host, path: finalPath, message: sftpErrorText(sftp))
        }
        var closed = false
        defer { if !closed { _ = try? retry(until: Date().addingTimeInterval(5)) { libssh2_sftp_close_handle(file) } } }
        let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<LibSSH2Loop.bufferSize])
        while true {
            let count: Int
            do { count = try source.read(into: chunk) } catch {
                throw RemoteFileError(host: host, path: finalPath, message: "reading the local file: \(error.localizedDescription)")
            }
            if count == 0 { break }
            var offset = 0
            while offset < count {
                var n = 0
                try retry(until: nil) {
                    n = libssh2_sftp_write(file, chunk.baseAddress!.assumingMemoryBound(to: CChar.self) + offset, count - offset)
                    return n < 0 ? Int32(n) : 0
                }
                if n < 0 {
                    if let broken { throw broken }
                    throw RemoteFileError(host: host, path: finalPath, message: sftpErrorText(sftp))
                }
                offset += n
            }
        }
        // The server's umask applied at creation: set the exact mode.
        var attrs = LIBSSH2_SFTP_ATTRIBUTES()
        attrs.flags = UInt(LIBSSH2_SFTP_ATTR_PERMISSIONS)
        attrs.permissions = UInt(mode & 0o7777)
        try retry(until: nil) { libssh2_sftp_fstat_ex(file, &attrs, 1) }
        closed = true
        let rc = try retry(until: nil) { libssh2_sftp_close_handle(file) }
        if rc != 0 {
            if let broken { throw broken }
            throw RemoteFileError(host: host, path: finalPath, message: sftpErrorText(sftp))
        }
    }

    func put<S: ByteSource>(source: S, to path: String, attributes: FileAttributes, become: Bool) throws {
        var source = source
        let (dir, base) = RemoteCommand.split(path)
        if !become && attributes.validation == nil {
            // Straight into the destination directory as the login user, then rename.
            let temp = "\(dir)/.\(base).provision-\(RemoteCommand.randomSuffix())"
            try sftpWrite(&source, to: temp, mode: attributes.mode, finalPath: path)
            var script = ""
            if let owner = RemoteCommand.ownerSpec(attributes) { script += "chown -- \(Shell.quote(owner)) \(Shell.quote(temp)) && " }
            script += "mv -f -- \(Shell.quote(temp)) \(Shell.quote(path)) || { rm -f -- \(Shell.quote(temp)); exit 1; }"
            let result = try exec(script, stdin: Data(), timeout: nil, onOutput: nil)
            if result.exitStatus != 0 {
                throw RemoteFileError(host: host, path: path, message: firstLine(result.stderrText))
            }
            return
        }
        // Through a private temporary directory, then installed (by root with become) next to the destination.
        let made = try exec("mktemp -d", stdin: Data(), timeout: nil, onOutput: nil)
        let tempDir = made.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard made.exitStatus == 0, !tempDir.isEmpty else {
            throw RemoteFileError(host: host, path: path, message: "mktemp -d failed: \(firstLine(made.stderrText))")
        }
        let staged = tempDir + "/" + base
        do {
            try sftpWrite(&source, to: staged, mode: 0o600, finalPath: path)
        } catch {
            _ = try? exec("rm -rf -- \(Shell.quote(tempDir))", stdin: Data(), timeout: nil, onOutput: nil)
            throw error
        }
        let script = RemoteCommand.installScript(source: staged, path: path, attributes: attributes, cleanup: tempDir)
        let result = try exec(script, become: become, stdin: Data(), timeout: nil, onOutput: nil)
        if result.exitStatus != 0 {
            _ = try? exec("rm -rf -- \(Shell.quote(tempDir))", stdin: Data(), timeout: nil, onOutput: nil)
            if RemoteCommand.sudoWantsPassword(exitStatus: result.exitStatus, stderr: result.stderr) {
                throw ConnectionError.sudoNeedsPassword(host: host)
            }
            if let refused = SafeFileWrite.validationFailure(path: path, attributes: attributes, result: result) { throw refused }
            throw RemoteFileError(host: host, path: path, message: firstLine(result.stderrText))
        }
        _ = dir
    }

    func firstLine(_ text: String) -> String {
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        return line.isEmpty ? "failed" : line
    }
}
