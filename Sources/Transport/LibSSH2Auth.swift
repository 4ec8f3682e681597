import CLibSSH2
import Foundation
import ProvisionCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// User authentication, and what the OpenSSH fallback needs to know when it fails.
extension LibSSH2Loop {
    func authenticate() throws {
        let user = endpoint.user
        let deadline = Date().addingTimeInterval(max(endpoint.connectTimeout, 1) * 3)
        var tried: [String] = []
        var rsaTried: [String] = []
        func fail() -> LibSSH2AuthFailure {
            LibSSH2AuthFailure(error: .authenticationFailed(user: user, host: host, tried: tried), rsaKeysTried: rsaTried)
        }
        let methods: String
        do {
            let list = try retryHandle(until: deadline) {
                libssh2_userauth_list(session, user, UInt32(user.utf8.count)).map { OpaquePointer($0) }
            }
            if libssh2_userauth_authenticated(session) != 0 { return }
            guard let list else { throw ConnectionError.protocolError(host: host, message: "authentication: \(lastError())") }
            methods = String(cString: UnsafePointer<CChar>(list))
        } catch is DeadlineExceeded {
            throw ConnectionError.timeout(host: host, port: endpoint.port, seconds: endpoint.connectTimeout)
        }
        guard methods.split(separator: ",").contains("publickey") else {
            tried.append("server offers only \(methods)")
            throw fail()
        }

        // Identity files: the explicit ones must be readable; the defaults are used when present.
        let explicit = !endpoint.identityFiles.isEmpty
        let files = explicit ? endpoint.identityFiles : SSHEndpoint.defaultIdentityFiles
        for file in files {
            let path = SSHEndpoint.expandTilde(file)
            let keyType: String?
            do {
                keyType = try PrivateKeyFile.inspect(path)
            } catch PrivateKeyFile.Problem.unreadable(let reason) {
                if explicit { throw ConnectionError.keyUnreadable(path: file, reason: reason) }
                continue
            }
            let label = SSHEndpoint.abbreviate(path)
            let rc: Int32
            do {
                rc = try retry(until: deadline) {
                    libssh2_userauth_publickey_fromfile_ex(session, user, UInt32(user.utf8.count), nil, path, nil)
                }
            } catch is DeadlineExceeded {
                throw ConnectionError.timeout(host: host, port: endpoint.port, seconds: endpoint.connectTimeout)
            }
            if rc == 0 { return }
            if let broken { throw broken }
            if rc == LIBSSH2_ERROR_FILE {
                tried.append("\(label) (cannot load: passphrase-protected or unsupported format)")
            } else {
                tried.append(label)
                if PrivateKeyFile.isRSA(keyType) { rsaTried.append(label) }
            }
        }

        // ssh-agent, unless IdentitiesOnly with identity files (OpenSSH semantics).
        if !(endpoint.identitiesOnly && explicit),
            let socketPath = ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"], !socketPath.isEmpty,
            let agent = libssh2_agent_init(session)
        {
            defer {
                _ = libssh2_agent_disconnect(agent)
                libssh2_agent_free(agent)
            }
            if libssh2_agent_connect(agent) == 0, libssh2_agent_list_identities(agent) == 0 {
                var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
                var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
                while libssh2_agent_get_identity(agent, &identity, previous) == 0, let current = identity {
                    previous = current
                    let blob = [UInt8](UnsafeBufferPointer(start: current.pointee.blob, count: Int(current.pointee.blob_len)))
                    let type = KnownHosts.keyType(ofBlob: blob) ?? "key"
                    let comment = current.pointee.comment.map { String(cString: $0) } ?? ""
                    let label = "agent \(type) \(comment)".trimmingCharacters(in: .whitespaces)
                    let rc: Int32
                    do {
                        rc = try retry(until: deadline) { libssh2_agent_userauth(agent, user, current) }
                    } catch is DeadlineExceeded {
                        throw ConnectionError.timeout(host: host, port: endpoint.port, seconds: endpoint.connectTimeout)
                    }
                    if rc == 0 { return }
                    if let broken { throw broken }
                    tried.append(label)
                    if type == "ssh-rsa" { rsaTried.append(label) }
                }
            }
        }
        throw fail()
    }
}
