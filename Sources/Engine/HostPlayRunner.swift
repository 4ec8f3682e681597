import Foundation
import Modules
import Playbook
import ProvisionCore
import Transport

/// Runs one play on one host: facts, batched probes, decisions, changes, handlers.
/// Used by exactly one thread at a time: the host's own while it runs, the caller after.
final class HostPlayRunner: @unchecked Sendable {
    let host: String
    /// The play (and the batch of its hosts) this host runs with the others.
    let shared: PlayState
    let services: RunServices
    /// The inventory's variables for this host (all, groups, host), below facts.
    let inventoryVariables: [String: Value]

    var play: Play { shared.play }
    var playIndex: Int { shared.index }
    var options: RunOptions { services.options }
    var pool: ConnectionPool { services.pool }
    var reporter: RunReporter { services.reporter }
    var redactor: Redactor { services.redactor }
    /// Variable layers below and above facts, in Ansible's order of precedence.
    var playDefaults: [String: Value] { shared.defaults }
    var playVariables: [String: Value] { shared.variables }  // play vars, then vars_files
    /// Names among `inventoryVariables` that are cloud data (never templated).
    var inventoryDataNames: Set<String> = []

    private var connection: (any Connection)!
    private var facts: Facts!
    var registered: [String: Value] = [:]
    var notified: Set<String> = []
    /// The task that just ran failed (not ignored) or lost the host: what a run_once owner hands on.
    private(set) var lastTaskFailed = false
    /// Asked by the task that just ran (`meta`), done before the next one.
    private var requestedControl: PlayControl?
    private var prepared: [Int: PreparedTask] = [:]
    private var probes: [Int: ProbeResult] = [:]
    var recap = HostRecap()
    private(set) var stopped = false
    private(set) var unreachable = false
    /// Blocks of the play where a failure happened on this host (`BlockRouting`).
    private var failedBlocks: [Int: FailedBlock] = [:]
    private lazy var blocksWithRescue = BlockRouting.blocksWithRescue(play.tasks + play.handlers)

    init(host: String, inventoryVariables: [String: Value], shared: PlayState, services: RunServices) {
        self.host = host
        self.inventoryVariables = inventoryVariables
        self.shared = shared
        self.services = services
    }

    var playName: String { play.name ?? play.hosts }

    func run() {
        // Secrets by name from every layer (SecretNames), before anything can print them.
        for layer in [inventoryVariables, playDefaults, playVariables] { redactor.register(variables: layer) }
        do {
            connection = play.connectionLocal ? pool.localConnection(for: host) : try pool.connection(for: host, remoteUser: play.remoteUser)
        } catch {
            markUnreachable(error)
            return
        }
        // The facts come with the host lock, in its round trip, when this play takes it.
        let factsWithLock: String?
        do {
            factsWithLock = try pool.clock.time(.facts, of: host) { try takeHostLock() }
        } catch let error as ConnectionError {
            markUnreachable(error)
            return
        } catch {
            failHost(task: "host lock", error)
            return
        }
        do {
            // Facts are gathered once per host and run; so is what they warn about.
            facts = try pool.facts(for: pool.factsKey(for: host, remoteUser: play.remoteUser, local: play.connectionLocal)) {
                let gathered = try factsWithLock.map(FactsGatherer.parse)
                    ?? pool.clock.time(.facts, of: host) { try FactsGatherer.gather(on: connection) }
                if gathered.distribution == .amazonLinux2 {
                    reporter.report(.warning(host: host, message: redactor.redact(
                        "Amazon Linux 2 reached end of support in June 2026; plan the move to Amazon Linux 2023")))
                }
                return gathered
            }
        } catch {
            markUnreachable(error)
            return
        }
        runTasks(play.tasks, isHandler: false)
        if Interruption.shared.requested || unreachable { return }
        if !stopped {
            runHandlers()
        } else if options.forceHandlers {
            stopped = false
            runHandlers()
            stopped = true
        }
    }

    // MARK: tasks

    func runTasks(_ tasks: [PlaybookTask], isHandler: Bool) {
        prepared = [:]
        probes = [:]
        var index = 0
        while index < tasks.count, !stopped, !Interruption.shared.requested {
            let task = tasks[index]
            let runs = BlockRouting.runs(task, failedBlocks: failedBlocks)
                && (isHandler || selectedByTags(task))
                && !(shared.spec(for: task)?.runsOncePerPlay == true && !shared.isRunOnceOwner(host))
            if runs {
                if probes.isEmpty && prepared.isEmpty { probeAhead(tasks, from: index, isHandler: isHandler) }
                let changedState = task.runOnce && !isHandler ? executeOnce(task, index: index) : execute(task, index: index)
                if changedState || task.register != nil || !variablesSet(by: task).isEmpty {
                    // Later tasks must see the new state and the new variables.
                    prepared = [:]
                    probes = [:]
                } else {
                    prepared[index] = nil
                }
            }
            // A block left with its failure not rescued passes it to the block around it.
            for (depth, block) in BlockRouting.blocksEnding(after: index, in: tasks) {
                if failedBlocks.removeValue(forKey: block.id) == .unrescued { raiseFailure(in: task.blocks[..<depth]) }
            }
            if let control = requestedControl {
                requestedControl = nil
                switch control {
                case .flushHandlers where !isHandler:
                    runHandlers()
                    // The handlers' own prepared tasks and probes are keyed by their indexes.
                    prepared = [:]
                    probes = [:]
                case .flushHandlers: break
                }
            }
            index += 1
        }
    }

    /// The handlers notified so far, in the play's order; a handler flushed earlier runs
    /// again only if notified again.
    func runHandlers() {
        let handlers = play.handlers.filter { h in
            h.handlerNames.contains(where: notified.contains)
        }
        notified = []
        guard !handlers.isEmpty else { return }
        runTasks(handlers, isHandler: true)
    }

    func selectedByTags(_ task: PlaybookTask) -> Bool { task.isSelected(tags: options.tags, skipTags: options.skipTags) }

    /// Prepares tasks from `start` on and probes them all in one round trip, stopping at the
    /// first task that needs a result not known yet (a registered variable).
    func probeAhead(_ tasks: [PlaybookTask], from start: Int, isHandler: Bool) {
        var batch = ProbeBatch()
        var needsBecome = false
        let pendingRegisters = Set(tasks[start...].flatMap { [$0.register].compactMap { $0 } + variablesSet(by: $0) })
        for j in start..<tasks.count {
            let task = tasks[j]
            if j > start, references(task, anyOf: pendingRegisters) { break }
            if !isHandler, !selectedByTags(task) { continue }
            if shared.spec(for: task)?.runsOncePerPlay == true { continue }
            guard let preparedTask = try? prepare(task) else { break }
            prepared[j] = preparedTask
            guard case .items(let items) = preparedTask else { continue }
            // A task with its own environment probes on its own, with that environment.
            for (k, item) in items.enumerated() where task.environment.isEmpty {
                guard let item, let snippet = try? item.module.probe(item.context) else { continue }
                batch.add(key: j * 10_000 + k, script: snippet)
                needsBecome = needsBecome || item.context.become
            }
            if task.register != nil || !variablesSet(by: task).isEmpty { break }
        }
        guard !batch.isEmpty else { return }
        do {
            let result = try pool.clock.time(.probe, of: host) {
                try connection.run(batch.script, stdin: Data(), become: needsBecome, timeout: nil, onOutput: nil)
            }
            if let parsed = try? batch.parse(result.stdoutText) {
                for (key, value) in parsed { probes[key] = value }
            }
        } catch {
            // Each task probes again on its own and reports the failure in its own terms.
        }
    }

    /// The host variables `task` sets (`set_fact`): later tasks are prepared after it runs.
    func variablesSet(by task: PlaybookTask) -> [String] { shared.variablesSet(by: task) }

    func references(_ task: PlaybookTask, anyOf names: Set<String>) -> Bool {
        guard !names.isEmpty else { return false }
        var texts = task.when
        texts.append(Value.dict(task.arguments).jsonText)
        if let loop = task.loop { texts.append(loop.jsonText) }
        return texts.contains { text in names.contains { text.contains($0) } }
    }

    /// The variables a task sees (`HostVariableLayers`, the one order of precedence).
    var scope: VariableScope {
        var layers = HostVariableLayers()
        layers.playbookDefaults = playDefaults
        layers.inventory = inventoryVariables
        layers.inventoryData = inventoryDataNames
        layers.facts = facts.variables
        layers.play = playVariables
        layers.registered = registered
        layers.secrets = options.secretVariables
        layers.extra = options.extraVariables
        layers.magic = MagicVariables.values(host: host, facts: layers.facts, playHosts: shared.hosts,
                                             baseDirectory: play.baseDirectory, groups: services.groups,
                                             hostvars: services.hostvars, options: options)
        return layers.scope
    }

    func prepare(_ task: PlaybookTask) throws -> PreparedTask {
        guard let spec = shared.spec(for: task) else {
            throw InputError("unknown module '\(task.module)'", at: task.location)
        }
        // Secrets by name are masked wherever they are defined: the task's and its role's vars too.
        let role = play.roleLayers(for: task)
        for layer in [task.vars, role.defaults, role.vars, role.params] where !layer.isEmpty { redactor.register(variables: layer) }
        let redactor = self.redactor
        let planner = TaskPlanner(unknowns: .fail, rendered: { redactor.register(variables: $0) })
        let plan = try planner.plan(task, of: play, spec: spec, hostScope: scope)
        switch plan {
        case .skipped(let why): return .skipped(why)
        case .items(let items): return .items(items.map { $0.map { made(from: $0, of: task) } })
        }
    }

    /// The planned item with its context: this host's connection (with the task's
    /// environment), check and diff mode.
    func made(from planned: TaskPlanner.Item, of task: PlaybookTask) -> PreparedItem {
        var context = makeContext(scope: planned.scope, become: task.become ?? play.become)
        if !planned.environment.isEmpty {
            context.connection = EnvironmentConnection(connection, environment: planned.environment)
        }
        // Task `check_mode:` / `diff:` win over --check / --diff (Ansible's rule).
        context.checkMode = task.checkMode ?? options.checkMode
        context.diffMode = task.diff ?? options.diffMode
        context.roleDirectory = task.role?.directory
        return PreparedItem(module: planned.module, context: context, label: planned.item.map { label(for: $0) },
                            item: planned.item, scope: planned.scope)
    }

    func label(for item: Value) -> String {
        if case .dict(let d) = item, let name = d["name"] ?? d["path"] ?? d["key"] { return redactor.redact(name.text) }
        return redactor.redact(item.text)
    }

    func makeContext(scope: VariableScope, become: Bool) -> TaskContext {
        let pool = self.pool
        let reporter = self.reporter, redactor = self.redactor, host = self.host
        return TaskContext(
            hostName: host, connection: connection, facts: facts, become: become,
            checkMode: options.checkMode, diffMode: options.diffMode, variables: scope.rawValues,
            baseDirectory: play.baseDirectory,
            renderTemplate: { source, origin in
                try TemplateEngine.render(source, variables: scope, origin: SourceLocation(file: origin, line: 1))
            },
            connectionTo: { other in try pool.connection(for: other) },
            playHosts: shared.hosts,
            warn: { message in reporter.report(.warning(host: host, message: redactor.redact(message))) })
    }

    /// Runs one task; returns whether it changed the host (so later probes are stale).
    func execute(_ task: PlaybookTask, index: Int) -> Bool {
        let started = Date()
        lastTaskFailed = false
        reporter.report(.taskStarted(host: host, task: redactor.redact(task.displayName)))
        let preparedTask: PreparedTask
        do {
            preparedTask = try prepared[index] ?? prepare(task)
        } catch {
            fail(task, error: error, started: started)
            return false
        }
        guard case .items(let items) = preparedTask else {
            if case .skipped(let why) = preparedTask {
                report(task, .skipped, changed: false, message: why, diff: nil, started: started)
                recap.skipped += 1
            }
            return false
        }
        var anyChanged = false
        var results: [Value] = []
        var failure: Error?
        for (k, item) in items.enumerated() {
            guard let item else {
                results.append(["skipped": true, "changed": false])
                continue
            }
            let itemStarted = Date()
            var outcome = TaskOutcome(changed: false)
            var skipped = false
            var error: Error?
            var reg: [String: Value] = [:]
            // `until`: again, with a fresh probe, `delay` s apart, until it holds (once in check mode).
            let attempts = task.until == nil || item.context.checkMode ? 1 : task.retries + 1
            for attempt in 1...attempts {
                outcome = TaskOutcome(changed: false)
                skipped = false
                error = nil
                do {
                    var probe = attempt == 1 ? probes[index * 10_000 + k] : nil
                    if probe == nil, let snippet = try item.module.probe(item.context) {
                        let r = try pool.clock.time(.probe, of: host) {
                            try item.context.connection.run(TaskContext.withSystemPath(snippet), stdin: Data(), become: item.context.become, timeout: nil, onOutput: nil)
                        }
                        probe = ProbeResult(output: r.stdoutText + r.stderrText, exitStatus: r.exitStatus)
                    }
                    (outcome, skipped) = try pool.clock.time(.apply, of: host) { try item.module.run(probe: probe, context: item.context) }
                    if !skipped, let control = item.module.playControl { requestedControl = control }
                    reg = outcome.registered
                    redactor.register(variables: outcome.hostVariables)
                    registered.merge(outcome.hostVariables) { $1 }
                    reg["changed"] = .bool(outcome.changed)
                    reg["failed"] = false
                    reg["skipped"] = .bool(skipped)
                    if let m = outcome.message { reg["msg"] = .string(m) }
                } catch let failure as ConnectionError {
                    markUnreachable(failure)
                    return false
                } catch let failure {
                    error = failure
                    reg = ["failed": true, "changed": false, "msg": .string("\(failure)")]
                    if let me = failure as? ModuleError { reg.merge(me.registered) { $1 } }
                }
                if let item = item.item { reg["item"] = item }
                if !skipped { applyResultConditions(task, item: item, result: &reg, outcome: &outcome, error: &error) }
                guard let until = task.until, !skipped else { break }
                reg["attempts"] = .int(attempt)
                if untilHolds(until, task: task, item: item, result: reg) { break }
                if item.context.checkMode { break }
                guard attempt < attempts else {
                    error = ModuleError("until is still false after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(until.joined(separator: " and "))")
                    reg["failed"] = true
                    break
                }
                if Interruption.shared.requested { break }
                Thread.sleep(forTimeInterval: TimeInterval(task.delay))
            }
            results.append(.dict(reg))
            if let error {
                failure = error
                if !task.ignoreErrors {
                    fail(task, error: error, started: itemStarted, label: item.label, result: .dict(reg))
                    break
                }
                report(task, .failed, changed: false, message: "\(error) (ignored)", diff: nil, started: itemStarted, label: item.label, ignored: true)
            } else {
                anyChanged = anyChanged || outcome.changed
                report(task, skipped ? .skipped : (outcome.changed ? .changed : .ok), changed: outcome.changed,
                       message: outcome.message, diff: outcome.diff, started: itemStarted, label: item.label, assumed: outcome.assumed)
            }
        }
        if let register = task.register {
            if task.loop != nil {
                registered[register] = ["results": .list(results), "changed": .bool(anyChanged)]
            } else if let only = results.first {
                registered[register] = only
            }
        }
        if failure == nil || task.ignoreErrors {
            if anyChanged {
                recap.changed += 1
                notified.formUnion(task.notify)
            } else if items.allSatisfy({ $0 == nil }) {
                recap.skipped += 1
            } else {
                recap.ok += 1
            }
        }
        return anyChanged || failure != nil
    }

    /// What `no_log: true` shows instead of a task's message (Ansible's words).
    static let hiddenByNoLog = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"

    func fail(_ task: PlaybookTask, error: Error, started: Date, label: String? = nil, result: Value? = nil) {
        lastTaskFailed = true
        report(task, .failed, changed: false, message: "\(error)", diff: nil, started: started, label: label)
        if let rescuing = raiseFailure(in: task.blocks[...]) {
            // What the rescue tasks read, as in Ansible.
            registered["ansible_failed_task"] = ["name": .string(task.displayName), "block": .int(rescuing)]
            registered["ansible_failed_result"] = result ?? ["failed": true, "changed": false, "msg": .string("\(error)")]
        }
    }

    /// A failure inside `blocks` (outermost first): the innermost block takes it (its rescue
    /// runs, or its always and then the block around it), else the host stops. Returns the
    /// block whose rescue now runs.
    @discardableResult
    func raiseFailure(in blocks: ArraySlice<BlockMembership>) -> Int? {
        guard let inner = blocks.last else {
            recap.failed += 1
            stopped = true
            return nil
        }
        if inner.section == .block && blocksWithRescue.contains(inner.id) {
            failedBlocks[inner.id] = .rescuing
            recap.rescued += 1
            return inner.id
        }
        failedBlocks[inner.id] = .unrescued
        return nil
    }

    /// Waits for another run on this host to end, once per run (`HostLock`), and returns
    /// the facts' output gathered in the same round trip when this call took the lock.
    func takeHostLock() throws -> String? {
        guard let holding = connection as? any CommandHolding else { return nil }
        let reporter = self.reporter, redactor = self.redactor, host = self.host, options = self.options
        return try pool.hostLock(for: holding.machineIdentity) {
            try HostLock.acquire(on: holding, holder: options.lockHolder, wait: options.lockWait, prelude: FactsGatherer.body,
                                 waiting: { reporter.report(.warning(host: host, message: redactor.redact($0))) },
                                 warn: { reporter.report(.warning(host: host, message: redactor.redact($0))) })
        }
    }

    /// A failure before any task (the host lock): the host fails (exit 2), nothing runs on it.
    func failHost(task name: String, _ error: Error) {
        recap.failed += 1
        stopped = true
        reporter.report(.task(TaskReport(host: host, play: playName, task: name, status: .failed, changed: false,
                                         duration: 0, message: redactor.redact("\(error)"), diff: nil, ignoredError: false, assumed: false)))
    }

    func markUnreachable(_ error: Error) {
        lastTaskFailed = true
        recap.unreachable += 1
        stopped = true
        unreachable = true
        reporter.report(.hostUnreachable(host: host, message: redactor.redact("\(error)")))
    }

    func report(_ task: PlaybookTask, _ status: TaskStatus, changed: Bool, message: String?, diff: FileDiff?,
                started: Date, label: String? = nil, ignored: Bool = false, assumed: Bool = false) {
        let name = label.map { "\(task.displayName) (\(task.noLog ? "item hidden by no_log" : $0))" } ?? task.displayName
        let maskedDiff = diff.map {
            FileDiff(path: $0.path, before: $0.before.map(redactor.redact), after: $0.after.map(redactor.redact))
        }
        let shown = task.noLog ? message.map { _ in Self.hiddenByNoLog } : message.map(redactor.redact)
        reporter.report(.task(TaskReport(
            host: host, play: playName, task: redactor.redact(name), status: status, changed: changed,
            duration: Date().timeIntervalSince(started), message: shown,
            diff: (task.diff ?? options.diffMode) && !task.noLog ? maskedDiff : nil, ignoredError: ignored, assumed: assumed,
            action: task.module)))
    }
}
