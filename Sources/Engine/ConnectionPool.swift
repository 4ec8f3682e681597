import Foundation
import Inventory
import Modules
import Transport

/// Opens one connection per host on first use and keeps it for the whole run (every play,
/// and tunnels other hosts ask for). Also keeps each host's facts.
public final class ConnectionPool: @unchecked Sendable {
    public typealias Connector = @Sendable (ResolvedHost) throws -> any Connection

    private let lock = NSLock()
    /// One gate per machine: its hosts must not race for its lock (other machines' do not wait).
    private var lockGates: [String: NSLock] = [:]
    private var connections: [String: any Connection] = [:]
    private var failures: [String: ConnectionError] = [:]
    private var facts: [String: Facts] = [:]
    /// Each machine's lock (`HostLock`), taken once per run and held until `closeAll`; by
    /// machine, not host name: two inventory hosts that are one machine (local ones) share it.
    private var hostLocks: [String: Result<HeldCommand?, Error>] = [:]
    private var inFlight: [String: NSCondition] = [:]
    private let resolver: HostResolver
    private let connector: Connector
    /// Each host's time by phase for this run (connections are timed here).
    public let clock = PhaseClock()

    public init(resolver: HostResolver, connector: @escaping Connector) {
        self.resolver = resolver
        self.connector = connector
    }

    /// The connection to `host` as the user it is reached as (`HostResolver`: a play's
    /// `remote_user` counts where the inventory names none); one per host and user.
    public func connection(for host: String, remoteUser: String? = nil) throws -> any Connection {
        let resolved = resolver.resolve(host, remoteUser: remoteUser)
        let key = Self.key(host, resolved)
        lock.lock()
        if let c = connections[key] { lock.unlock(); return c }
        if let e = failures[key] { lock.unlock(); throw e }
        if let waiting = inFlight[key] {
            // Another thread is connecting to this host: wait for its answer.
            lock.unlock()
            waiting.lock()
            while true {
                lock.lock()
                let done = inFlight[key] == nil
                lock.unlock()
                if done { break }
                waiting.wait(until: Date().addingTimeInterval(0.05))
            }
            waiting.unlock()
            return try connection(for: host, remoteUser: remoteUser)
        }
        let condition = NSCondition()
        inFlight[key] = condition
        lock.unlock()

        let result = Result { try clock.time(.connect, of: host) { try connector(resolved) } }
        lock.lock()
        switch result {
        case .success(let c): connections[key] = c
        case .failure(let e as ConnectionError): failures[key] = e
        case .failure(let e): failures[key] = .protocolError(host: host, message: "\(e)")
        }
        inFlight[key] = nil
        lock.unlock()
        condition.broadcast()
        return try result.get()
    }

    /// `connection: local`: this machine, under the host's name (one per host).
    public func localConnection(for host: String) -> any Connection {
        let key = host + "\u{0}local"
        lock.lock()
        defer { lock.unlock() }
        if let c = connections[key] { return c }
        let c = LocalConnection(hostName: host)
        connections[key] = c
        return c
    }

    /// A host's connections are told apart by the user they log in as.
    static func key(_ host: String, _ resolved: ResolvedHost) -> String { host + "\u{0}" + resolved.user }

    /// Which facts a play on `host` sees: the host's as its login user sees them (a play's
    /// `remote_user` has its own `ansible_user_id` and `ansible_env`), or, for
    /// `connection: local`, this machine's.
    public func factsKey(for host: String, remoteUser: String?, local: Bool) -> String {
        local ? host + "\u{0}local" : Self.key(host, resolver.resolve(host, remoteUser: remoteUser))
    }

    public func facts(for host: String, gather: () throws -> Facts) throws -> Facts {
        lock.lock()
        if let f = facts[host] { lock.unlock(); return f }
        lock.unlock()
        let gathered = try gather()
        lock.lock()
        facts[host] = gathered
        lock.unlock()
        return gathered
    }

    /// Takes the lock of the machine `identity` names with `acquire` the first time, and
    /// returns what its prelude printed; afterwards gives the same answer (held: nil, or the
    /// same error) without asking again. Hosts of one machine asking at once wait for the
    /// first one's answer.
    public func hostLock(for identity: String, acquire: () throws -> HostLock.Taken) throws -> String? {
        lock.lock()
        let gate = lockGates[identity] ?? NSLock()
        lockGates[identity] = gate
        lock.unlock()
        gate.lock()
        defer { gate.unlock() }
        lock.lock()
        let known = hostLocks[identity]
        lock.unlock()
        if let known { _ = try known.get(); return nil }
        let result = Result { try acquire() }
        lock.lock()
        hostLocks[identity] = result.map(\.held)
        lock.unlock()
        return try result.get().prelude
    }

    public func closeAll() {
        lock.lock()
        let all = connections.values
        let held = hostLocks.values.compactMap { (try? $0.get()) ?? nil }
        connections = [:]
        hostLocks = [:]
        lock.unlock()
        for h in held { h.release() }
        for c in all { c.close() }
    }
}
