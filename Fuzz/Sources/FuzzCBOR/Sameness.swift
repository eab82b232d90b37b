import CBOR

/// Equality of decoded values as an encoder must preserve them: maps as sets of entries (the
/// encoder sorts them), floats by bit pattern (so `-0.0` is not `0.0`) except that every NaN is
/// the same NaN (the encoder writes one canonical NaN). `CBOR`'s own `==` compares map entries in
/// order and floats by value, which would miss a lost sign and fail on NaN.
enum Sameness {
    static func same(_ a: CBOR, _ b: CBOR) -> Bool {
        switch (a, b) {
        case (.float(let x), .float(let y)):
            return x.isNaN ? y.isNaN : x.bitPattern == y.bitPattern
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.map(let x), .map(let y)):
            guard x.count == y.count else { return false }
            let sx = sorted(x), sy = sorted(y)
            return zip(sx, sy).allSatisfy { same($0.key, $1.key) && same($0.value, $1.value) }
        case (.tagged(let t, let x), .tagged(let u, let y)):
            return t == u && same(x, y)
        default:
            return a == b
        }
    }

    private static func sorted(_ entries: [CBOR.MapEntry]) -> [CBOR.MapEntry] {
        entries.map { ($0.key.encoded(), $0) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
    }
}

/// Depth, item count and longest string of a decoded value, to check the limits it was decoded under.
struct Shape {
    var depth = 0
    var items = 0
    var longestString = 0

    init(of value: CBOR) { visit(value, depth: 0) }

    private mutating func visit(_ value: CBOR, depth: Int) {
        items += 1
        self.depth = max(self.depth, depth)
        switch value {
        case .byteString(let b): longestString = max(longestString, b.count)
        case .textString(let s): longestString = max(longestString, s.utf8.count)
        case .array(let a): for item in a { visit(item, depth: depth + 1) }
        case .map(let m):
            for entry in m {
                visit(entry.key, depth: depth + 1)
                visit(entry.value, depth: depth + 1)
            }
        case .tagged(_, let inner): visit(inner, depth: depth + 1)
        default: break
        }
    }
}
