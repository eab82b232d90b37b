extension Duration {
    /// The duration in seconds, as a `Double`.
    package var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) / 1e18
    }

    /// The duration in whole nanoseconds (0 for a negative duration), for the loop's monotonic clock.
    package var nanoseconds: UInt64 {
        let (s, attos) = components
        guard s >= 0 else { return 0 }
        return UInt64(s) * 1_000_000_000 + UInt64(attos / 1_000_000_000)
    }
}
