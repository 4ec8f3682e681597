import Foundation
import Yams

/// A value written as YAML the way Ansible's `to_yaml` / `to_nice_yaml` write it (PyYAML's
/// `yaml.dump` with `allow_unicode=True`): keys sorted (PyYAML's default; `Value`'s mappings
/// keep no order), a string that would read back as something else (`'yes'`, `'1'`, `''`)
/// single-quoted, lines folded at 80 columns. `to_yaml` is `default_flow_style=None`: a list
/// or mapping holding no list or mapping is written inline (`[a, b]`); `to_nice_yaml` is
/// block style throughout, indented by 4. Secrets are written as their text: the caller
/// keeps the result secret.
package enum YAMLText {
    package static func dump(_ value: Value, nice: Bool) throws -> String {
        try Yams.serialize(node: node(value, nice: nice), indent: nice ? 4 : 2, width: 80, allowUnicode: true)
    }

    static func node(_ value: Value, nice: Bool) -> Node {
        func style(_ children: [Value]) -> Bool {
            !nice && !children.contains { if case .list = $0 { return true }; if case .dict = $0 { return true }; return false }
        }
        switch value {
        case .null: return Node("null", Tag(.null))
        case .bool(let b): return Node(b ? "true" : "false", Tag(.bool))
        case .int(let i): return Node(String(i), Tag(.int))
        case .double(let d):
            if d.isNaN { return Node(".nan", Tag(.float)) }
            if d.isInfinite { return Node(d > 0 ? ".inf" : "-.inf", Tag(.float)) }
            return Node(String(d), Tag(.float))
        case .string(let s): return .scalar(s.represented())
        case .secret(let s): return .scalar(s.reveal().represented())
        case .list(let l):
            return .sequence(Node.Sequence(l.map { node($0, nice: nice) }, Tag(.seq), style(l) || l.isEmpty ? .flow : .block))
        case .dict(let d):
            let pairs = d.keys.sorted().map { (Node.scalar($0.represented()), node(d[$0]!, nice: nice)) }
            let children = Array(d.values)
            return .mapping(Node.Mapping(pairs, Tag(.map), style(children) || d.isEmpty ? .flow : .block))
        }
    }
}
