/// Which client exchange a message belongs to: its session and its token. libcoap 4.3.1 numbers
/// tokens per session, starting from 1 in every session, so one client's first requests to two
/// servers carry the same token: the token alone would let one server's answer complete (or
/// overwrite) the other's exchange.
struct ExchangeKey: Hashable, Sendable {
    /// The session's address (a session is not freed while its exchanges are pending).
    let session: UInt
    /// The token, packed (`LibCoAPPDU.tokenKey`).
    let token: UInt64

    init(session: OpaquePointer, token: [UInt8]) {
        self.session = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(session)))
        self.token = LibCoAPPDU.tokenKey(token)
    }
}
