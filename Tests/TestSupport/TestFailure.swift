/// A test's own failure (a tool missing, a process that did not start), with what to do about it.
package struct TestFailure: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
