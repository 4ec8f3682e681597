import ProvisionCore

/// A playbook as loaded from YAML: Ansible's shape, each node with its location.
public struct Playbook: Sendable {
    public var file: String
    public var plays: [Play]

    public init(file: String, plays: [Play]) {
        self.file = file
        self.plays = plays
    }
}

public struct Play: Sendable {
    public var name: String?
    /// Host pattern: names, groups, `all`, separated by `:` or `,`.
    public var hosts: String
    public var vars: [String: Value]
    /// Paths as written (templated and resolved relative to the playbook at run time).
    public var varsFiles: [String]
    public var become: Bool
    /// Whether the play says `become:` itself (`-b` only sets it where it does not).
    public var becomeWritten = false
    public var becomeUser: String?
    public var gatherFacts: Bool
    /// A failure on any host stops the play, and every later play, on all of its hosts
    /// (Ansible's `any_errors_fatal`): for a prerequisite such as the database.
    public var anyErrorsFatal = false
    /// `serial:`: the play runs to its end on one batch of its hosts before the next batch
    /// starts (nil: all hosts at once).
    public var serial: [BatchSize]? = nil
    /// `remote_user:`: the login user where the inventory names none (`HostResolver`).
    public var remoteUser: String? = nil
    /// `connection: local`: the play's tasks run on the controller, once per host of the play
    /// (each with its own variables), as Ansible's local connection does.
    public var connectionLocal = false
    public var tasks: [PlaybookTask]
    public var handlers: [PlaybookTask]
    /// Directory of the file the play came from: relative `src`, `template` and
    /// `vars_files` paths resolve against it.
    public var baseDirectory: String
    public var location: SourceLocation
    /// Where each play variable was defined (its key), for errors in templated values.
    public var varLocations: [String: SourceLocation] = [:]
    /// Where `vars_files` was written.
    public var varsFilesLocation: SourceLocation? = nil
    /// The roles the play uses (`roles:`, their dependencies, `import_role`), in the order
    /// they were loaded; their tasks and handlers are in `tasks` and `handlers`.
    public var roles: [PlayRole] = []

    public init(
        name: String? = nil, hosts: String, vars: [String: Value] = [:], varsFiles: [String] = [],
        become: Bool = false, becomeUser: String? = nil, gatherFacts: Bool = true,
        tasks: [PlaybookTask] = [], handlers: [PlaybookTask] = [], baseDirectory: String,
        location: SourceLocation
    ) {
        self.name = name
        self.hosts = hosts
        self.vars = vars
        self.varsFiles = varsFiles
        self.become = become
        self.becomeUser = becomeUser
        self.gatherFacts = gatherFacts
        self.tasks = tasks
        self.handlers = handlers
        self.baseDirectory = baseDirectory
        self.location = location
    }
}

/// A task or handler. `arguments` are raw (not yet templated); the free form of
/// `command`/`shell` (`command: ls -l`) is stored as `cmd`, and `key=value` forms are split.
public struct PlaybookTask: Sendable {
    public var name: String?
    /// Canonical module name (`ansible.builtin.` prefix removed, aliases kept as written:
    /// `yum`, `dnf`, `apt` and `package` each stay themselves).
    public var module: String
    public var arguments: [String: Value]
    public var argumentLocations: [String: SourceLocation]
    /// Each entry is a Jinja expression (without `{{ }}`); all must hold.
    public var when: [String]
    public var notify: [String]
    public var tags: [String]
    public var loop: Value?
    public var loopVariable: String
    /// `with_first_found`: `loop` holds the candidates, and the task runs with the first that exists.
    public var firstFound: FirstFound? = nil
    /// `until`: the task runs again (`retries` more times at most, `delay` seconds apart)
    /// until these conditions hold on its result.
    public var until: [String]? = nil
    /// `no_log`: the task's messages and diff are not shown (its status and name are).
    public var noLog = false
    /// `run_once`: one host of the play's batch runs it; every host of the batch takes its
    /// result (registered variable, notified handlers), as in Ansible.
    public var runOnce = false
    /// `environment:` (the play's under the task's): variables for the task's commands, templated.
    public var environment: [String: Value] = [:]
    public var retries = 3
    public var delay = 5
    public var register: String?
    public var become: Bool?
    public var ignoreErrors: Bool
    /// Handler topics this handler answers to besides its name.
    public var listen: [String]
    public var location: SourceLocation
    /// `become_user:` on the task (nil: the play's).
    public var becomeUser: String? = nil
    /// Task-level `vars:` (raw); they rank above play vars and vars_files, below registered results.
    public var vars: [String: Value] = [:]
    /// Where task keywords were written (`when`, `loop`, `notify`, `name`, …), for errors.
    public var keywordLocations: [String: SourceLocation] = [:]
    /// `changed_when:` / `failed_when:` (Jinja expressions, all must hold), evaluated with the
    /// task's result under its `register` name; nil when not given.
    public var changedWhen: [String]? = nil
    public var failedWhen: [String]? = nil
    /// `check_mode:` / `diff:` on the task: they override `--check` / `--diff` for it (nil: the run's).
    public var checkMode: Bool? = nil
    public var diff: Bool? = nil
    /// The role this task comes from (nil: written in the play).
    public var role: RoleReference? = nil
    /// The `block:`s this task is in, outermost first (empty: none).
    public var blocks: [BlockMembership] = []

    public init(
        name: String? = nil, module: String, arguments: [String: Value] = [:],
        argumentLocations: [String: SourceLocation] = [:], when: [String] = [], notify: [String] = [],
        tags: [String] = [], loop: Value? = nil, loopVariable: String = "item", register: String? = nil,
        become: Bool? = nil, ignoreErrors: Bool = false, listen: [String] = [], location: SourceLocation
    ) {
        self.name = name
        self.module = module
        self.arguments = arguments
        self.argumentLocations = argumentLocations
        self.when = when
        self.notify = notify
        self.tags = tags
        self.loop = loop
        self.loopVariable = loopVariable
        self.register = register
        self.become = become
        self.ignoreErrors = ignoreErrors
        self.listen = listen
        self.location = location
    }

    /// What the output calls this task: Ansible's `role : name` for a role's task.
    public var displayName: String {
        guard let role else { return name ?? module }
        return "\(role.name) : \(name ?? module)"
    }
}

/// The role a task came from: its name and directory (templates and files are looked for
/// there first, `ControllerFiles`), and what its inclusion gave it.
public struct RoleReference: Sendable, Equatable {
    public var name: String
    /// Absolute, standardized.
    public var directory: String
    /// Index of the role's `PlayRole` (defaults, vars) in `Play.roles`.
    public var instance: Int
    /// `vars:` of the role entry (`- role: x` + `vars:`): at role vars precedence.
    public var vars: [String: Value]
    /// Role parameters (other keys of the role entry, `vars:` of `import_role`), above registered results.
    public var params: [String: Value]
    public init(name: String, directory: String, instance: Int = 0, vars: [String: Value] = [:], params: [String: Value] = [:]) {
        self.name = name
        self.directory = directory
        self.instance = instance
        self.vars = vars
        self.params = params
    }
}
