import Foundation
import Playbook
import ProvisionCore

/// One parameter of a module, declared once in the module's own file: parsing
/// (`ModuleSpec.arguments`), validation (`ModuleSpec.problems`) and the documentation
/// (`ModuleSpec.reference`, `provision doc`, the README's table) all read it.
public struct ParameterSpec: Sendable {
    public enum Kind: String, Sendable, Equatable {
        case string, bool, int, list, dict, any
        /// A file mode: octal string `'0644'` or `'u=rw,g=r'`, or an int written in octal.
        case mode
    }

    public var name: String
    public var kind: Kind
    public var required: Bool
    public var choices: [String]?
    public var aliases: [String]
    /// The value a task that leaves the parameter out gets (filled in before the module is made).
    public var defaultValue: Value?
    /// A secret: its value is never echoed in an error, and is masked in output.
    public var secret: Bool

    public init(_ name: String, _ kind: Kind = .string, required: Bool = false, choices: [String]? = nil,
                aliases: [String] = [], default defaultValue: Value? = nil, secret: Bool = false) {
        self.name = name
        self.kind = kind
        self.required = required
        self.choices = choices
        self.aliases = aliases
        self.defaultValue = defaultValue
        self.secret = secret
    }

    /// The name and its aliases.
    public var names: [String] { [name] + aliases }
}

/// How a module is known to playbooks: its names, its parameters, and how to make one.
/// Validate, the preflight and the run all make modules through `make`, so what validate accepts is what runs.
public struct ModuleSpec: Sendable {
    public var name: String
    /// Other names the same module answers to (e.g. `yum`, `dnf`, `apt` for `package`).
    public var aliases: [String]
    /// One line for `provision doc`.
    public var summary: String
    public var parameters: [ParameterSpec]
    /// At least one of each group must be given.
    public var requiredOneOf: [[String]]
    /// At most one of each group may be given.
    public var mutuallyExclusive: [[String]]
    /// The parameter a free-form string (`command: ls -l`) fills; nil: the string is `key=value` words.
    public var freeFormParameter: String?
    /// A parameter naming a file on the controller that validate and the preflight look for.
    public var controllerFile: ControllerFileParameter?
    /// Modules that act on a shared resource (the database) once per play, not per host.
    public var runsOncePerPlay: Bool
    /// Every key that is not a declared parameter is a host variable the task sets (`set_fact`).
    public var setsVariablesFromKeys: Bool
    /// The host variables a task sets, read from what it names (`include_vars`' file).
    public var variablesFromTask: (@Sendable (PlaybookTask) -> [String])?
    /// Makes the module: checks the arguments against the spec (`problems`), renames aliases
    /// and fills defaults, then calls the module's initializer. The one way a module is made.
    public var make: @Sendable (ModuleArguments) throws -> any Module

    public init(
        name: String, aliases: [String] = [], summary: String = "", parameters: [ParameterSpec],
        requiredOneOf: [[String]] = [], mutuallyExclusive: [[String]] = [], freeFormParameter: String? = nil,
        controllerFile: ControllerFileParameter? = nil,
        runsOncePerPlay: Bool = false, setsVariablesFromKeys: Bool = false,
        variablesFromTask: (@Sendable (PlaybookTask) -> [String])? = nil, make: @escaping @Sendable (ModuleArguments) throws -> any Module
    ) {
        self.name = name
        self.aliases = aliases
        self.summary = summary
        self.parameters = parameters
        self.requiredOneOf = requiredOneOf
        self.mutuallyExclusive = mutuallyExclusive
        self.freeFormParameter = freeFormParameter
        self.controllerFile = controllerFile
        self.runsOncePerPlay = runsOncePerPlay
        self.setsVariablesFromKeys = setsVariablesFromKeys
        self.variablesFromTask = variablesFromTask
        self.make = make
        let rules = self
        self.make = { arguments in
            if let problem = rules.problems(in: arguments).first { throw problem }
            return try make(ModuleSpec.normalized(arguments, rules.parameters))
        }
    }

    public func parameter(named name: String) -> ParameterSpec? {
        parameters.first { $0.name == name || $0.aliases.contains(name) }
    }

    /// The host variables `task` sets (its keys that are not parameters), for validate and
    /// the engine, which must know them before the task runs.
    public func variablesSet(by task: PlaybookTask) -> [String] {
        if let variablesFromTask { return variablesFromTask(task) }
        guard setsVariablesFromKeys else { return [] }
        return task.arguments.keys.filter { parameter(named: $0) == nil }.sorted()
    }

    /// Every name a task may use for a parameter.
    public var parameterNames: [String] { parameters.flatMap(\.names) }
}

/// A parameter that names a controller file (`template: src`, `copy: src`).
public struct ControllerFileParameter: Sendable {
    public var parameter: String
    public var kind: ControllerFiles.Kind
    /// A bool parameter that, when true, says the file is on the host instead (`remote_src`).
    public var onHostWhen: String?
    public init(_ parameter: String, kind: ControllerFiles.Kind, onHostWhen: String? = nil) {
        self.parameter = parameter
        self.kind = kind
        self.onHostWhen = onHostWhen
    }
}
