#if canImport(Glibc)
import Glibc
#endif

/// C memory that libcoap keeps pointers into (PSK hints, identities, keys, PEM buffers): copied
/// once, NUL-terminated, and freed when the owner goes away — after the context or session that
/// points into it.
final class CMemory {
    private var blocks: [(UnsafeMutablePointer<UInt8>, Int)] = []

    /// A NUL-terminated copy of `bytes`; the pointer stays valid as long as this object.
    func copy(_ bytes: [UInt8]) -> UnsafeMutablePointer<UInt8> {
        let block = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count + 1)
        block.initialize(from: bytes, count: bytes.count)
        block[bytes.count] = 0
        blocks.append((block, bytes.count + 1))
        return block
    }

    /// A NUL-terminated copy of `text`, as a C string.
    func copy(_ text: String) -> UnsafeMutablePointer<CChar> {
        UnsafeMutableRawPointer(copy(Array(text.utf8))).assumingMemoryBound(to: CChar.self)
    }

    deinit {
        // Keys pass through here: wipe before freeing.
        for (block, count) in blocks {
            block.update(repeating: 0, count: count)
            block.deallocate()
        }
    }
}

extension PEMSource {
    /// The PEM bytes, read from disk when it is a file.
    func load(what: String) throws(CoAPError) -> [UInt8] {
        switch self {
        case .memory(let bytes):
            return bytes
        case .file(let path):
            guard let file = fopen(path, "rb") else {
                throw CoAPError(.invalidConfiguration, "cannot read the \(what) \(path): \(String(cString: strerror(errno)))")
            }
            defer { fclose(file) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = fread(&buffer, 1, buffer.count, file)
                if n <= 0 { break }
                bytes += buffer[0..<n]
            }
            guard bytes.count > 0, String(decoding: bytes.prefix(4096), as: UTF8.self).contains("-----BEGIN ") else {
                throw CoAPError(.invalidConfiguration, "the \(what) \(path) is not PEM")
            }
            return bytes
        }
    }
}
