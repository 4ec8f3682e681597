import CLibSSH2
import Foundation
import ProvisionCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Byte sources for uploads

protocol ByteSource {
    /// Fills `buffer`; returns the number of bytes (0 at the end).
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

struct DataSource: ByteSource {
    let data: Data
    var offset = 0
    init(_ data: Data) { self.data = data }
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, data.count - offset)
        if n > 0 {
            data.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
            }
            offset += n
        }
        return n
    }
}

struct FileSource: ByteSource {
    let handle: FileHandle
    init(_ handle: FileHandle) { self.handle = handle }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var total = 0
        while total < buffer.count {
            let n = Glibc.read(handle.fileDescriptor, buffer.baseAddress! + total, buffer.count - total)
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if n == 0 { break }
            total += n
        }
        return total
    }
}
