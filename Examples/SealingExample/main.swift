// The Sealing library in one page: a device seals a SenML reading into a COSE_Encrypt0 message
// (docs/sealed-format.md), a gateway opens it with a key ring, refuses a replay, and
// the device's key is rotated from kid 01 to kid 02.
//
//     swift run sealing-example
//
// Both sides derive their keys from the same per-device secret; in a real deployment the secret
// lives in a 0600 file on the device and in the gateway's registry (`coap seal/open` read the same
// file format). Nothing secret is printed here.

import Foundation
import LibCrypto
import Sealing

func runExample() throws {
    let deviceID = "sensor-42"
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sealing-example-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }

    // 1. The device secret: 32 random bytes. Each kid's AES key and Base IV are derived from it.
    let secret = try DeviceSecret.generate()
    let key01 = try secret.deriveKey(kid: [0x01])  // AES-CCM-16-64-128 (COSE alg 10), the default
    print("device \(deviceID): \(secret), derived \(key01)")

    // 2. The device side: a Sealer draws sequence numbers (the Partial IVs) from a durable source.
    //    The file reserves numbers in blocks, so a restart or a crash never reuses one.
    let sequencePath = directory.appendingPathComponent("seq-01").path
    let sealer = try Sealer(key: key01, deviceID: deviceID, sequenceNumbers: FileSequenceNumberSource(path: sequencePath))

    let reading = #"[{"bn":"urn:dev:sensor-42:","n":"temp","u":"Cel","v":21.5}]"#
    let plaintext = Array(reading.utf8)
    let message = try sealer.seal(plaintext, contentFormat: 110)  // 110 = application/senml+json
    print("\nsealed reading (\(plaintext.count) bytes of SenML JSON):")
    print("  \(Hex.encode(message))")
    print("  \(message.count) bytes on the wire: +\(message.count - plaintext.count) bytes "
        + "(headers, kid, Partial IV and the \(key01.algorithm.tagLength)-byte tag)")
    let stored = try String(contentsOfFile: sequencePath, encoding: .utf8)
    print("  sequence file now reserves numbers below \(stored.trimmingCharacters(in: .whitespacesAndNewlines))")

    // 3. The gateway side: a KeyRing holds every kid of every device, each with a replay window.
    let ring = KeyRing()
    try ring.add(secret.deriveKey(kid: [0x01]), deviceID: deviceID)

    let opened = try ring.openAndRecord(message, deviceID: deviceID)
    print("\ngateway opened: \(opened)")
    print("  plaintext: \(String(decoding: opened.plaintext, as: UTF8.self))")

    // 4. The same message again is a replay: refused, with a reason.
    do {
        _ = try ring.openAndRecord(message, deviceID: deviceID)
        print("replay accepted?!")
    } catch let error as SealingError {
        print("\nsame message again: refused, \(error.code): \(error)")
    }

    // A fresh message altered in transit (one bit of its tag) fails authentication.
    var altered = try sealer.seal(plaintext, contentFormat: 110)
    altered[altered.count - 1] ^= 0x01
    do {
        _ = try ring.open(altered, deviceID: deviceID)
    } catch let error as SealingError {
        print("one bit flipped:    refused, \(error.code): \(error)")
    }

    // 5. Rotation: the device moves to kid 02 (its own sequence file); the gateway adds kid 02 and
    //    retires kid 01 with a grace period, so messages already in flight under 01 still open.
    let key02 = try secret.deriveKey(kid: [0x02])
    try ring.add(key02, deviceID: deviceID)
    let graceEnd = Date().addingTimeInterval(3600)
    try ring.setStatus(.retired(graceUntil: graceEnd), forKid: [0x01])
    print("\nrotation: kid 02 added, kid 01 retired (grace period of one hour)")

    let sealer02 = try Sealer(
        key: key02, deviceID: deviceID,
        sequenceNumbers: FileSequenceNumberSource(path: directory.appendingPathComponent("seq-02").path))
    let newMessage = try sealer02.seal(Array(#"[{"bn":"urn:dev:sensor-42:","n":"temp","u":"Cel","v":21.7}]"#.utf8), contentFormat: 110)
    print("  new reading under kid 02:     \(try ring.openAndRecord(newMessage, deviceID: deviceID))")

    let late = try sealer.seal(Array(#"[{"bn":"urn:dev:sensor-42:","n":"temp","u":"Cel","v":21.6}]"#.utf8), contentFormat: 110)
    print("  late reading under kid 01:    \(try ring.open(late, deviceID: deviceID)) (within the grace period)")
    do {
        _ = try ring.open(late, deviceID: deviceID, now: graceEnd.addingTimeInterval(1))
    } catch let error as SealingError {
        print("  the same, after the grace:    refused, \(error.code): \(error)")
    }
    for kid in ring.kids(ofDevice: deviceID) {
        print("  kid \(Hex.encode(kid)): \(ring.status(ofKid: kid).map { "\($0)" } ?? "unknown")")
    }
}

try runExample()
