/// RFC 6690 link-format helpers.
public enum LinkFormat {
    /// Splits a link-format document into its links (`</a>;rt="x"`), respecting quoted strings.
    public static func split(_ document: String) -> [String] {
        var links: [String] = []
        var current = ""
        var quoted = false
        for c in document {
            if c == "\"" { quoted.toggle() }
            if c == ",", !quoted {
                links.append(current.trimmingWhitespace())
                current = ""
            } else {
                current.append(c)
            }
        }
        let last = current.trimmingWhitespace()
        if !last.isEmpty { links.append(last) }
        return links.filter { !$0.isEmpty }
    }

    /// The target path of a link (`</sensors/temp>;rt="x"` → `/sensors/temp`).
    public static func target(of link: String) -> String? {
        guard link.hasPrefix("<"), let close = link.firstIndex(of: ">") else { return nil }
        return String(link[link.index(after: link.startIndex)..<close])
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
