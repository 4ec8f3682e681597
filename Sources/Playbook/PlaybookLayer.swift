// Playbook layer: overview for the engine and CLI authors.
//
// # Playbook layer
//
// YAML -> `Playbook` (every node located), a Jinja2-subset template/expression engine,
// variable layers with Ansible's precedence, and `validate`.
//
// ## Calling it
// - `PlaybookLoader.load(path:modules:) throws -> Playbook` (Modules adds `load(path:specs:)` with the registry as default) (follows `import_playbook`, relative to the importing file, cycle-checked). `load(text:file:baseDirectory:specs:)` for tests.
// - `YAMLDocument.loadValue(path:)` / `loadValue(text:file:) throws -> LocatedValue` (`.value`, `.location`, `.entries` with key locations, `["key"]`, `.items`), for inventory and vars files.
// - `VariableScope`: `add(_:at:templated:locations:)`, `adding(…)`, `set(_:_:at:)` for registered results, `rawValue`, `value(_:)` (templated), `resolvedValues()`, `names`. Precedence: `.roleDefaults < .playbookDefaults < .inventoryAll < .inventoryGroup(depth:) < .host < .facts < .play < .varsFiles < .roleVars < .task < .registered < .roleParams < .loop < .secrets < .extra`. Facts and registered layers are never templated.
// - `ExtraVars.parse(_ args: [String], baseDirectory:) throws -> [String: Value]`.
// - `TemplateEngine.render(_:variables:origin:) throws -> Rendered` (`text`, `containsSecret`, `value`), `renderValue(_:variables:origin:) throws -> Value`, `evaluateCondition(_:variables:origin:)`, `evaluateConditions(_:variables:origin:)`, `loopItems(_:variables:origin:)`. Each takes a `VariableScope` or a `[String: Value]`.
// - `PlaybookValidator.validate(path:specs:knownVariables:)` / `validate(playbook:specs:knownVariables:) -> [InputError]` (in Engine: it checks tasks against the module specs).
// - `ControllerFiles.candidates(_:kind:baseDirectory:roleDirectory:taskFile:)` / `resolve`: where every controller file a task names is found (template, copy/unarchive src, lookup('file'), include_vars, first_found): the role's `templates/`/`files/`/`vars/` and the role, then the playbook's and its directory, `../templates/` for templates, beside the task's file for include_vars.
//
// ## Decisions
// - Plain YAML `yes/no/on/off` are booleans (as Ansible); `mode: 0644` arrives as `.int(644)` (octal digits, read by `ModuleArguments.mode`).
// - Task `vars:` are stored in `PlaybookTask.vars`; the engine layers them at `.task`.
// - `with_items` with a literal list is flattened one level at load time; `loop`/`with_items` templates are left to `loopItems`.
// - `args:` merges into the module arguments (the module's own arguments win).
// - Templates use Ansible's `trim_blocks` (newline after `{% %}`/`{# #}` dropped), not `lstrip_blocks`.
// - `when:` truthiness is `Value.isTruthy` (the strings "false"/"no"/"0" are false).
// - A rendered string is secret when any value read while rendering contained a secret.
// - Roles are expanded by the loader (`roles:`, `meta/main.yml` dependencies, `import_role`/`include_role`, both static); `Play.roles` keeps their defaults and vars, `VariableScope.forTask` layers them.
// - `import_tasks`/`include_tasks` with a literal file name are expanded by the loader too (`TaskIncludeLoader.swift`).
// - Not supported (clear errors): `delegate_to`, `strategy`, task-level `remote_user`.
