/// RFC 6690 link-format helpers.
///
/// A document is read scalar by scalar, not by Swift `Character`: a comma or `>` followed by a
/// combining mark is one grapheme cluster, and would stop being a separator (found by
/// Fuzz/FuzzLinkFormat).
public enum LinkFormat {
    /// Splits a link-format document into its links (`</a>;rt="x"`), respecting quoted strings.
    public static func split(_ document: String) -> [String] {
        var links: [String] = []
        var current = String.UnicodeScalarView()
        var quoted = false
        for scalar in document.unicodeScalars {
            if scalar == "\"" { quoted.toggle() }
            if scalar == ",", !quoted {
                links.append(trimmed(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        links.append(trimmed(current))
        return links.filter { !$0.isEmpty }
    }

    /// The target path of a link (`</sensors/temp>;rt="x"` → `/sensors/temp`).
    public static func target(of link: String) -> String? {
        let scalars = link.unicodeScalars
        guard scalars.first == "<", let close = scalars.firstIndex(of: ">") else { return nil }
        return String(scalars[scalars.index(after: scalars.startIndex)..<close])
    }

    private static func trimmed(_ scalars: String.UnicodeScalarView) -> String {
        var s = Substring.UnicodeScalarView(scalars)
        while let f = s.first, f.properties.isWhitespace { s.removeFirst() }
        while let l = s.last, l.properties.isWhitespace { s.removeLast() }
        return String(s)
    }
}
