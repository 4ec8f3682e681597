import Foundation

/// A POSIX ustar archive of regular files, written and read in memory (a playbook bundle is
/// a few kilobytes). `tar -tf` and `tar -xf` read what this writes; this reads only regular
/// files and refuses anything else (links, devices, directories are skipped by the writer).
public enum TarArchive {
    public struct Entry: Equatable, Sendable {
        public var path: String
        public var data: Data
        public var mode: Int

        public init(path: String, data: Data, mode: Int = 0o644) {
            self.path = path
            self.data = data
            self.mode = mode
        }
    }

    public static func write(_ entries: [Entry]) throws -> Data {
        var archive = Data()
        for entry in entries {
            guard entry.path.utf8.count <= 100 else { throw ModuleError("\(entry.path): path longer than 100 bytes, cannot be bundled") }
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int, width: Int) {
                for (i, byte) in text.utf8.prefix(width).enumerated() { header[offset + i] = byte }
            }
            func octal(_ value: Int, at offset: Int, width: Int) {
                put(String(repeating: "0", count: max(0, width - 1 - String(value, radix: 8).count)) + String(value, radix: 8), at: offset, width: width - 1)
            }
            put(entry.path, at: 0, width: 100)
            octal(entry.mode & 0o7777, at: 100, width: 8)
            octal(0, at: 108, width: 8)
            octal(0, at: 116, width: 8)
            octal(entry.data.count, at: 124, width: 12)
            octal(0, at: 136, width: 12)
            put("        ", at: 148, width: 8)
            header[156] = UInt8(ascii: "0")
            put("ustar", at: 257, width: 6)
            put("00", at: 263, width: 2)
            let sum = header.reduce(0) { $0 + Int($1) }
            put(String(repeating: "0", count: max(0, 6 - String(sum, radix: 8).count)) + String(sum, radix: 8), at: 148, width: 6)
            header[154] = 0
            header[155] = UInt8(ascii: " ")
            archive.append(contentsOf: header)
            archive.append(entry.data)
            archive.append(Data(count: (512 - entry.data.count % 512) % 512))
        }
        archive.append(Data(count: 1024))
        return archive
    }

    /// The regular files of an archive, in order. A malformed header or a non-file entry is an error.
    public static func read(_ archive: Data) throws -> [Entry] {
        let bytes = [UInt8](archive)
        var entries: [Entry] = []
        var offset = 0
        while offset + 512 <= bytes.count {
            let header = Array(bytes[offset..<offset + 512])
            if header.allSatisfy({ $0 == 0 }) { return entries }
            func text(_ start: Int, _ width: Int) -> String {
                let field = header[start..<start + width]
                return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
            }
            func number(_ start: Int, _ width: Int) throws -> Int {
                let digits = text(start, width).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
                guard let value = Int(digits.isEmpty ? "0" : digits, radix: 8), value >= 0 else {
                    throw ModuleError("not a tar archive (bad header at byte \(offset))")
                }
                return value
            }
            let stored = try number(148, 8)
            var unsigned = header
            for i in 148..<156 { unsigned[i] = UInt8(ascii: " ") }
            guard unsigned.reduce(0, { $0 + Int($1) }) == stored else { throw ModuleError("not a tar archive (bad header checksum at byte \(offset))") }
            let size = try number(124, 12)
            let type = header[156]
            var path = text(0, 100)
            let prefix = text(345, 155)
            if text(257, 5) == "ustar", !prefix.isEmpty { path = prefix + "/" + path }
            let start = offset + 512
            guard start + size <= bytes.count else { throw ModuleError("tar archive truncated in \(path)") }
            guard type == UInt8(ascii: "0") || type == 0 else {
                throw ModuleError("\(path): only regular files may be in a bundle (tar type '\(Character(UnicodeScalar(type)))')")
            }
            entries.append(Entry(path: path, data: Data(bytes[start..<start + size]), mode: try number(100, 8)))
            offset = start + (size + 511) / 512 * 512
        }
        throw ModuleError("tar archive truncated (no end marker)")
    }
}
