#if canImport(Glibc)
import Glibc
#endif

/// A file operation that failed: the call, the path and strerror(errno).
public struct FileError: Error, Equatable, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let reason: String

    init(_ operation: String, _ path: String, errno code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.reason = String(cString: strerror(code))
    }

    public var description: String { "\(operation) \(path) failed: \(reason)" }
}

/// The file system calls of automatic-tinc, all in one place.
enum FileIO {
    /// Returns the file's bytes, or nil when it does not exist. Other errors throw.
    static func read(_ path: String) throws(FileError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw FileError("open", path)
        }
        defer { close(fd) }

        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError("read", path)
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        return bytes
    }

    static func readText(_ path: String) throws(FileError) -> String? {
        try read(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes `contents` with `mode` unless the file already has exactly these bytes and this
    /// mode. The new content goes to a temporary file in the same directory that is fsync'd and
    /// then renamed over `path`, so tincd and other readers see the old file or the new one,
    /// never a part. Returns true when the file changed.
    @discardableResult
    static func writeIfChanged(_ path: String, contents: String, mode: mode_t) throws(FileError) -> Bool {
        let bytes = Array(contents.utf8)
        if try read(path) == bytes {
            var status = stat()
            if stat(path, &status) == 0 && status.st_mode & 0o7777 == mode { return false }
            if chmod(path, mode) != 0 { throw FileError("chmod", path) }
            return true
        }

        let temporary = path + ".tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0 { throw FileError("open", temporary) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let error = FileError("write", temporary)
                close(fd)
                unlink(temporary)
                throw error
            }
            written += count
        }
        // open(2) applies the umask to `mode`, and a host file or script needs the exact mode.
        if fchmod(fd, mode) != 0 || fsync(fd) != 0 {
            let error = FileError("fsync", temporary)
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        if rename(temporary, path) != 0 {
            let error = FileError("rename", path)
            unlink(temporary)
            throw error
        }
        return true
    }

    /// Removes a file. Returns false when it did not exist.
    @discardableResult
    static func remove(_ path: String) throws(FileError) -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw FileError("unlink", path)
    }

    /// Creates `path` and its missing parents with `mode`. An existing directory is fine.
    static func makeDirectories(_ path: String, mode: mode_t) throws(FileError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, mode) != 0 && errno != EEXIST {
                throw FileError("mkdir", prefix)
            }
        }
        var status = stat()
        guard stat(path, &status) == 0 else { throw FileError("stat", path) }
        guard status.st_mode & S_IFMT == S_IFDIR else { throw FileError("mkdir", path, errno: ENOTDIR) }
    }

    /// Names in a directory without "." and "..".
    static func list(_ path: String) throws(FileError) -> [String] {
        guard let directory = opendir(path) else { throw FileError("opendir", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
