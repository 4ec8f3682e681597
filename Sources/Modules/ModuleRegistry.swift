import Playbook

/// Every module provision knows, by name and alias: the one list a new module is added to.
public enum ModuleRegistry {
    public static let specs: [ModuleSpec] = [
        FileModule.spec,
        CopyModule.spec,
        TemplateModule.spec,
        LineInFileModule.spec,
        ReplaceModule.spec,
        BlockInFileModule.spec,
        UnarchiveModule.spec,
        PackageModule.spec,
        AmazonLinuxExtrasModule.spec,
        ServiceModule.spec,
        GroupModule.spec,
        UserModule.spec,
        CommandModule.commandSpec,
        CommandModule.shellSpec,
        DebugModule.spec,
        SetFactModule.spec,
        AssertModule.spec,
        FailModule.spec,
        StatModule.spec,
        MetaModule.spec,
        IncludeVarsModule.spec,
        MySQLDatabaseModule.spec,
        MySQLUserModule.spec,
    ]

    /// The module called `name` (with or without a collection prefix), if any.
    public static func spec(named name: String) -> ModuleSpec? { spec(named: name, in: specs) }

    /// The spec in `specs` called `name` (with or without a collection prefix, or an alias).
    public static func spec(named name: String, in specs: [ModuleSpec]) -> ModuleSpec? {
        let bare = canonicalName(name)
        return specs.first { $0.name == bare || $0.aliases.contains(bare) }
    }

    /// `ansible.builtin.copy` -> `copy`.
    public static func canonicalName(_ name: String) -> String { ModuleVocabulary.canonicalName(name) }

    /// All names a playbook may use, for suggestions.
    public static var allNames: [String] { specs.flatMap { [$0.name] + $0.aliases } }
}
