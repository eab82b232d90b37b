/// The help texts of ``ClientDTLSOptions`` that name the command's peer (a server, a gateway):
/// each command keeps its own words.
package protocol ClientDTLSWording {
    static var pskIdentityHelp: String { get }
    static var caHelp: String { get }
    static var insecureHelp: String { get }
    static var handshakeTimeoutHelp: String { get }
}
