// Stand-ins for pieces being written on other branches; removed when they merge.
import Foundation

public enum PlaybookLoader {
    public static func load(path: String, specs: [ModuleSpec] = ModuleRegistry.specs) throws -> Playbook {
        throw InputError("playbook loading is not available in this build", at: SourceLocation(file: path, line: 1))
    }
}

public enum ExtraVars {
    public static func parse(_ args: [String]) throws -> [String: Value] {
        var vars: [String: Value] = [:]
        for arg in args {
            guard let eq = arg.firstIndex(of: "=") else { throw InputError("-e: expected key=value, got '\(arg)'") }
            vars[String(arg[..<eq])] = .string(String(arg[arg.index(after: eq)...]))
        }
        return vars
    }
}

public enum PlaybookValidator {
    public static func validate(playbook: Playbook, specs: [ModuleSpec] = ModuleRegistry.specs, knownVariables: Set<String>) -> [InputError] { [] }
}

public enum Transport {
    public static func connect(_ host: ResolvedHost, options: RunOptions, sshConfigFile: String?, log: @escaping @Sendable (String) -> Void) throws -> any Connection {
        throw ConnectionError.protocolError(host: host.name, message: "no SSH transport in this build")
    }
}
