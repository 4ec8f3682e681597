import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An AWS Query API answer as a small element tree: enough to walk `reservationSet/item`.
public final class XMLTree: @unchecked Sendable {
    public let name: String
    public fileprivate(set) var text = ""
    public fileprivate(set) var children: [XMLTree] = []

    init(name: String) { self.name = name }

    /// The first child with this name.
    public subscript(_ child: String) -> XMLTree? { children.first { $0.name == child } }

    /// Children by path, e.g. `all("reservationSet", "item")`.
    public func all(_ path: String...) -> [XMLTree] {
        path.reduce([self]) { nodes, name in nodes.flatMap { $0.children.filter { $0.name == name } } }
    }

    /// Text of the element at a path, e.g. `value("instanceState", "name")`.
    public func value(_ path: String...) -> String? {
        var node: XMLTree? = self
        for name in path { node = node?[name] }
        return node?.text
    }

    public static func parse(_ data: Data) -> XMLTree? {
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else { return nil }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var root: XMLTree?
        var stack: [XMLTree] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let node = XMLTree(name: name)
            if let parent = stack.last { parent.children.append(node) } else { root = node }
            stack.append(node)
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if let node = stack.popLast() { node.text = node.text.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }
}
