/// What the loader must know of modules to read a task: which keys name a module (and
/// its aliases), and the parameters a free-form module such as `command` may take as
/// `key=value` words. The Modules layer builds one from its registry, so Playbook does
/// not depend on Modules.
public struct ModuleVocabulary: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var aliases: [String]
        /// Parameter names and their aliases.
        public var parameters: [String]
        /// The parameter a free-form string (`command: ls -l`) fills; nil: `key=value` words.
        public var freeFormParameter: String?
        public init(name: String, aliases: [String] = [], parameters: [String] = [], freeFormParameter: String? = nil) {
            self.name = name
            self.aliases = aliases
            self.parameters = parameters
            self.freeFormParameter = freeFormParameter
        }
    }

    public var entries: [Entry]
    public init(_ entries: [Entry]) { self.entries = entries }

    /// Prefixes Ansible users write before module names.
    package static let collectionPrefixes = ["ansible.builtin.", "ansible.legacy.", "community.mysql.", "community.general."]

    /// `ansible.builtin.copy` -> `copy`.
    public static func canonicalName(_ name: String) -> String {
        for prefix in collectionPrefixes where name.hasPrefix(prefix) {
            return String(name.dropFirst(prefix.count))
        }
        return name
    }

    /// The module called `name` (with or without a collection prefix), if any.
    package func entry(named name: String) -> Entry? {
        let bare = Self.canonicalName(name)
        return entries.first { $0.name == bare || $0.aliases.contains(bare) }
    }

    /// All names a playbook may use, for suggestions.
    package var allNames: [String] { entries.flatMap { [$0.name] + $0.aliases } }
}
