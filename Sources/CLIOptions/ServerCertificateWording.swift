/// The help texts of ``ServerCertificateOptions``: each server command keeps its own words.
package protocol ServerCertificateWording {
    static var certificateHelp: String { get }
    static var privateKeyHelp: String { get }
    static var caHelp: String { get }
}
