/// The kind of a value as error messages name it ("must be a string, not a list").
extension Value {
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string, .secret: return "string"
        case .list: return "list"
        case .dict: return "mapping"
        }
    }
}
