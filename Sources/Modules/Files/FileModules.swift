/// The file modules, for ModuleRegistry: `ModuleRegistry.specs += FileModules.specs`.
public enum FileModules {
    public static let specs: [ModuleSpec] = [
        FileModule.spec,
        CopyModule.spec,
        TemplateModule.spec,
        LineInFileModule.spec,
        UnarchiveModule.spec,
    ]
}
