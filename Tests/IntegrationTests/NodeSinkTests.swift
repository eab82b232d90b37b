import Foundation
import LibCrypto
import Sealing
import SenML
import Testing
import TestSupport

/// `coap-node` posting to a plain libcoap sink: what it sends is a COSE_Encrypt0 message that
/// pycose, knowing only the device secret, opens to the SenML reading.
@Suite(.timeLimit(.minutes(2 * TestSupport.timeScale))) struct NodeSinkTests {
    @Test(.enabled(if: SealCLITests.pythonWanted, "SECURECOAP_SKIP_PYTHON=1: pycose check skipped"))
    func aNodesSealedReadingStoredByLibcoapIsOpenedByPycose() async throws {
        guard FileManager.default.isExecutableFile(atPath: SealCLITests.python) else {
            throw TestFailure("pycose venv missing (\(SealCLITests.python)): run `make venv`, or set SECURECOAP_SKIP_PYTHON=1")
        }
        let (server, port) = try await LibCoAPPeerTests.libcoapServer()  // coap-server-notls -d 10
        defer { server.stop() }
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("sink-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        let secret = try DeviceSecret.generate()
        let secretPath = workspace + "/device.secret"
        try Data(secret.fileRepresentation().utf8).write(to: URL(fileURLWithPath: secretPath))

        // The node POSTs to a path libcoap does not have yet: `-d` makes it a resource holding the body.
        let node = try await TestSupport.run(try TestSupport.product("coap-node"), [
            "report", "--gateway", "coap://127.0.0.1:\(port)/sink", "--device", "sensor-sink",
            "--sealing-secret-file", secretPath, "--kid", "0a", "--state-dir", workspace + "/state",
            "--value", "temp=21.5,Cel", "--value", "hum=40,%RH", "--value", "bat=3.1,V",
        ], timeout: 30)
        try #require(node.status == 0, "coap-node: \(node)")

        let stored = workspace + "/stored.bin"
        let fetch = try await TestSupport.run(try TestSupport.tool("coap-client-notls"), [
            "-m", "get", "-B", "5", "-o", stored, "coap://127.0.0.1:\(port)/sink",
        ], timeout: 20)
        try #require(fetch.status == 0, "coap-client-notls: \(fetch)")
        let message = try Data(contentsOf: URL(fileURLWithPath: stored))
        try #require(message.first == 0xD0, "a tagged COSE_Encrypt0 (CBOR tag 16), got \(Hex.encode(Array(message.prefix(8))))")

        let script = TestSupport.packageRoot.appendingPathComponent("Tests/SealingTests/Fixtures/pycose_crosscheck.py").path
        let secretHex = secret.bytes.withUnsafeBytes { Hex.encode($0) }
        let request = try JSONSerialization.data(withJSONObject: [
            "open": [["secret": secretHex, "device": "sensor-sink", "message": Hex.encode(Array(message))]],
        ])
        let run = try await TestSupport.run(SealCLITests.python, [script], stdin: request, timeout: 60)
        try #require(run.status == 0, "pycose_crosscheck.py: \(run)")
        let reply = try #require(try JSONSerialization.jsonObject(with: run.stdoutBytes) as? [String: Any])
        let opened = try #require((reply["open"] as? [[String: Any]])?.first)
        #expect(opened["kid"] as? String == "0a")
        #expect((opened["content_format"] as? NSNumber)?.intValue == 112, "SenML CBOR inside the seal")
        let plaintext = try Hex.decode(opened["plaintext"] as? String ?? "")
        let readings = try SenMLPack(cbor: plaintext).resolved(now: 0)
        #expect(readings.contains { $0.name.hasSuffix("temp") && $0.value == 21.5 && $0.unit == "Cel" }, "\(readings)")
        #expect(readings.count == 3)
    }
}
