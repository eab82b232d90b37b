/// Checks a property that must hold for every input. A failure traps with what broke (the Swift
/// runtime prints the message), so libFuzzer saves the input as a crash: invariants find logic
/// bugs (a value that does not survive a round trip, a limit not enforced), not only memory errors.
public func invariant(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    guard !condition() else { return }
    fatalError("INVARIANT FAILED: \(message())", file: file, line: line)
}

/// An error that no input may cause (the operation must succeed once its preconditions hold).
public func unexpected(_ error: any Error, _ what: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError("INVARIANT FAILED: \(what): \(error)", file: file, line: line)
}
