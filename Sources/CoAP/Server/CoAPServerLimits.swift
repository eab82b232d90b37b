/// What a CoAP server lets peers hold: request bodies arriving block-wise (RFC 7959 Block1) and
/// the largest body it puts together, and observers (RFC 7641). (A body in one datagram is bounded
/// by the datagram, and left to the route's handler to judge.) Each cap reached is counted in
/// ``CoAPServerStatistics``.
///
/// The server puts block-wise bodies together itself, block by block, and refuses a transfer as
/// soon as it, or the size it announces (Size1), passes ``maxRequestBodyBytes``: 4.13 with Size1
/// giving the limit. Nothing is reserved for an announced size.
///
/// A registration over a cap on observers is answered 5.03 (Service Unavailable) with Max-Age 60
/// and nothing is kept. (RFC 7641 §4.1 also allows answering the GET without Observe; libcoap
/// 4.3.1 registers the observer before the server sees the request and lets only an error answer
/// take it back.)
public struct CoAPServerLimits: Sendable, Equatable {
    /// The largest request body put together from blocks. Default 1 MiB.
    public var maxRequestBodyBytes: Int = 1 << 20
    /// Block-wise transfers in progress at once, from everyone. Default 256.
    public var maxBlockTransfers: Int = 256
    /// Block-wise transfers in progress at once from one IP address. Default 8.
    public var maxBlockTransfersPerAddress: Int = 8
    /// Bytes held by all transfers in progress together. Default 32 MiB.
    public var maxBlockTransferBytes: Int = 32 << 20
    /// A transfer with no new block for this long is dropped. Default 60 s.
    public var blockTransferTimeout: Duration = .seconds(60)
    /// Observers registered at once, on all resources. Default 10,000.
    public var maxObservers: Int = 10_000
    /// Observers of one resource. Default 1,000.
    public var maxObserversPerResource: Int = 1_000
    /// Observers registered from one IP address. Default 64.
    public var maxObserversPerAddress: Int = 64

    public init() {}

    /// Checks every value; the error names the first that is out of range.
    public func validate() throws(CoAPError) {
        for (value, name) in [(maxRequestBodyBytes, "maxRequestBodyBytes"), (maxBlockTransfers, "maxBlockTransfers"),
                              (maxBlockTransfersPerAddress, "maxBlockTransfersPerAddress"), (maxBlockTransferBytes, "maxBlockTransferBytes"),
                              (maxObservers, "maxObservers"), (maxObserversPerResource, "maxObserversPerResource"),
                              (maxObserversPerAddress, "maxObserversPerAddress")]
        where value < 1 {
            throw CoAPError(.invalidConfiguration, "\(name) must be at least 1 (it is \(value))")
        }
        guard blockTransferTimeout > .zero else { throw CoAPError(.invalidConfiguration, "blockTransferTimeout must be positive") }
    }
}
