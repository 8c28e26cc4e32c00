import FoundationEssentials
import Glibc

/// An I/O failure naming the call and the path.
public struct IOFailure: Error, CustomStringConvertible {
    public var call: String
    public var path: String
    public var code: Int32
    public init(_ call: String, _ path: String, _ code: Int32 = errno) {
        self.call = call
        self.path = path
        self.code = code
    }
    public var description: String { "\(call) \(path): \(String(cString: strerror(code)))" }
}

public func readFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw IOFailure("open", path) }
    defer { close(fd) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw IOFailure("read", path)
        }
        if count == 0 { break }
        result.append(contentsOf: buffer[0..<count])
    }
    return result
}

public func readText(_ path: String) throws -> String {
    String(decoding: try readFile(path), as: UTF8.self)
}

/// The file's text without surrounding whitespace, or nil when it cannot be read.
public func readTrimmed(_ path: String) -> String? {
    guard let text = try? readText(path) else { return nil }
    return text.trimmed
}

public func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    if fd < 0 { throw IOFailure("open", path) }
    defer { close(fd) }
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw IOFailure("write", path)
        }
        bytes = bytes.dropFirst(count)
    }
    fchmod(fd, mode)
}

public func fileExists(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0
}

public func errnoName(_ code: Int32) -> String {
    "\(String(cString: strerror(code))) (errno \(code))"
}

extension String {
    public var trimmed: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }

    public var lines: [String] {
        split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}
