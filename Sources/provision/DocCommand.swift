import ArgumentParser
import Modules
import ProvisionCore

/// `provision doc [MODULE]`: a module's parameters, from its spec; without a name, the modules.
struct DocCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doc", abstract: "Show a module's parameters (or, without a name, list the modules).")

    @Argument(help: "Module name, e.g. copy or ansible.builtin.lineinfile.")
    var module: String?

    func run() throws {
        guard let module else {
            for spec in ModuleRegistry.specs {
                print(spec.name + (spec.summary.isEmpty ? "" : "  " + spec.summary))
            }
            return
        }
        guard let spec = ModuleRegistry.spec(named: module) else {
            throw InputError("unknown module '\(module)'",
                             hint: Suggestions.hint(for: ModuleRegistry.canonicalName(module), in: ModuleRegistry.allNames)
                                 ?? "provision doc lists the modules")
        }
        print(spec.reference)
    }
}
