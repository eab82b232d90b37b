/// Request bodies arriving block-wise (RFC 7959 Block1), put together by the server block by
/// block within ``CoAPServerLimits``. A transfer is named by its peer's session, the request's
/// path and its Request-Tag (RFC 9175 §3), and must arrive in order; nothing is reserved for the
/// size a client announces. Loop thread only.
struct BlockwiseRequestBodies {
    struct Key: Hashable {
        /// The libcoap session (its bit pattern): transfers go when their session does.
        var session: UInt
        var path: String
        var requestTag: [UInt8]
    }

    /// What a block means for its request.
    enum Outcome: Equatable {
        /// More blocks are to come: answer 2.31 Continue.
        case continuing
        /// This was the last block: the body is whole.
        case complete([UInt8])
        /// Refused: answer with this code; `size1` when the body is too large (the limit).
        case refused(CoAPResponseCode, String, size1: Int?)
    }

    private struct Transfer {
        var body: [UInt8]
        var host: HostKey?
        var lastBlock: UInt32
        var lastBlockSize: Int
        var updated: UInt64
    }

    let limits: CoAPServerLimits
    private var transfers: [Key: Transfer] = [:]
    private var perHost: [HostKey: Int] = [:]
    private var bytes = 0

    init(limits: CoAPServerLimits) { self.limits = limits }

    /// Transfers in progress, and the bytes they hold.
    var count: Int { transfers.count }
    var heldBytes: Int { bytes }

    /// Takes one block of a request: `block` its Block1 option, `size1` the total size it
    /// announces, if any.
    mutating func receive(
        _ data: [UInt8], block: CoAPBlockOption, size1: UInt64?, key: Key, host: HostKey?, now: UInt64
    ) -> Outcome {
        let limit = limits.maxRequestBodyBytes
        if let size1, size1 > UInt64(limit) {
            drop(key)
            return .refused(.requestEntityTooLarge, "the body announced (\(size1) bytes) is over \(limit) bytes", size1: limit)
        }
        if block.more, data.count != block.size {
            drop(key)
            return .refused(.badRequest, "a block other than the last holds \(data.count) bytes, not \(block.size)", size1: nil)
        }
        if block.number == 0 {
            drop(key)  // a transfer that starts again replaces the old one
            if transfers.count >= limits.maxBlockTransfers || (host.map { perHost[$0, default: 0] } ?? 0) >= limits.maxBlockTransfersPerAddress {
                return .refused(.serviceUnavailable, "too many block-wise transfers in progress; try later", size1: nil)
            }
            guard data.count <= limit else {
                return .refused(.requestEntityTooLarge, "the body is over \(limit) bytes", size1: limit)
            }
            guard block.more else { return .complete(data) }
            guard bytes + data.count <= limits.maxBlockTransferBytes else {
                return .refused(.serviceUnavailable, "too many block-wise transfers in progress; try later", size1: nil)
            }
            transfers[key] = Transfer(body: data, host: host, lastBlock: 0, lastBlockSize: data.count, updated: now)
            if let host { perHost[host, default: 0] += 1 }
            bytes += data.count
            return .continuing
        }
        guard var transfer = transfers[key] else {
            return .refused(.requestEntityIncomplete, "no block-wise transfer in progress for block \(block.number)", size1: nil)
        }
        // A block sent again (its acknowledgement was lost) is acknowledged again, not added twice.
        if block.number == transfer.lastBlock, block.more, data.count == transfer.lastBlockSize {
            return .continuing
        }
        let offset = Int(block.number) << (Int(block.szx) + 4)
        guard offset == transfer.body.count else {
            drop(key)
            return .refused(.requestEntityIncomplete, "block \(block.number) is not the next one (\(transfer.body.count) bytes received)", size1: nil)
        }
        guard transfer.body.count + data.count <= limit else {
            drop(key)
            return .refused(.requestEntityTooLarge, "the body is over \(limit) bytes", size1: limit)
        }
        guard bytes + data.count <= limits.maxBlockTransferBytes else {
            drop(key)
            return .refused(.serviceUnavailable, "too many block-wise transfers in progress; try later", size1: nil)
        }
        transfer.body += data
        bytes += data.count
        guard block.more else {
            drop(key)
            return .complete(transfer.body)
        }
        transfer.lastBlock = block.number
        transfer.lastBlockSize = data.count
        transfer.updated = now
        transfers[key] = transfer
        return .continuing
    }

    /// Drops the transfers of a session libcoap is freeing.
    mutating func removeAll(session: UInt) {
        for key in transfers.keys where key.session == session { drop(key) }
    }

    /// Drops transfers idle for longer than the timeout.
    mutating func expire(now: UInt64) {
        let timeout = limits.blockTransferTimeout.nanoseconds
        for (key, transfer) in transfers where now &- transfer.updated >= timeout { drop(key) }
    }

    private mutating func drop(_ key: Key) {
        guard let transfer = transfers.removeValue(forKey: key) else { return }
        bytes -= transfer.body.count
        if let host = transfer.host {
            let left = perHost[host, default: 1] - 1
            perHost[host] = left > 0 ? left : nil
        }
    }
}
