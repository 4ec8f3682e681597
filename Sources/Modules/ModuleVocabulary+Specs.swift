import Playbook

extension ModuleVocabulary {
    /// The names and parameters of `specs`, as the playbook loader reads tasks.
    public init(_ specs: [ModuleSpec]) {
        self.init(specs.map {
            Entry(name: $0.name, aliases: $0.aliases, parameters: $0.parameterNames, freeFormParameter: $0.freeFormParameter)
        })
    }
}

extension PlaybookLoader {
    /// Loads the playbook at `path`, following `import_playbook`; tasks may name any module of `specs`.
    public static func load(path: String, specs: [ModuleSpec] = ModuleRegistry.specs) throws -> Playbook {
        try load(path: path, modules: ModuleVocabulary(specs))
    }

    /// Loads a playbook from text (tests, stdin). Relative imports resolve against `baseDirectory`.
    public static func load(text: String, file: String, baseDirectory: String? = nil,
                            specs: [ModuleSpec] = ModuleRegistry.specs) throws -> Playbook {
        try load(text: text, file: file, baseDirectory: baseDirectory, modules: ModuleVocabulary(specs))
    }
}
