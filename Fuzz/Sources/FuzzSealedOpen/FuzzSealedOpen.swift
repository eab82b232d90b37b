import CBOR
import Foundation
import FuzzSupport
import LibCrypto
import Sealing

// Opening a sealed message (SealedPayload, KeyRing, SealingEngine, COSEEncrypt0): what a gateway
// does with every message body. The first byte picks a mode:
// - even: the rest is a message, opened with the fixed test keys. Checks: the generic
//   COSE_Encrypt0 parser accepts whatever the strict SealedPayload parser accepts, with the same
//   parts; a message that opens re-seals to one that opens to the same thing.
// - odd: the rest describes a message to seal (algorithm, content-format, sequence number, a byte
//   to corrupt, plaintext). Checks: it opens to exactly what was sealed, and with any one byte
//   changed it does not open at all (authenticity: no byte of a sealed message is unprotected).

/// The device the test keys belong to.
let deviceID = "fuzz-device"
/// When the ring checks key status (all keys are active; a fixed date keeps runs repeatable).
let now = Date(timeIntervalSince1970: 1_700_000_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    guard let mode = input.first else { return 0 }
    if mode & 1 == 0 { openMessage(Array(input.dropFirst())) } else { sealAndTamper(input.dropFirst()) }
    return 0
}

func openMessage(_ message: [UInt8]) {
    let generic = try? COSEEncrypt0(decoding: message)
    if let generic {
        do {
            let again = try COSEEncrypt0(decoding: generic.encoded())
            invariant(again.encoded() == generic.encoded(), "COSE_Encrypt0 re-encoding is not stable")
        } catch { unexpected(error, "an encoded COSE_Encrypt0 does not decode") }
    }
    guard let payload = try? SealedPayload(parsing: message) else { return }
    guard let generic else { invariant(false, "SealedPayload accepts what COSEEncrypt0 refuses"); return }
    invariant(generic.unprotectedHeader.mapEntries?.first { $0.key == 4 }?.value.bytesValue == payload.kid, "the parsers read different kids")
    invariant(generic.unprotectedHeader.mapEntries?.first { $0.key == 6 }?.value.bytesValue == payload.partialIV, "the parsers read different Partial IVs")
    invariant((1...5).contains(payload.partialIV.count), "a Partial IV of \(payload.partialIV.count) bytes was accepted")

    guard let opened = try? TestKeys.ring.open(message, deviceID: deviceID, now: now) else { return }
    invariant(opened.kid == payload.kid && opened.sequenceNumber == payload.sequenceNumber
              && opened.contentFormat == payload.contentFormat && opened.algorithm == payload.algorithm,
              "the opened payload's metadata differs from the parsed header")
    do {
        let key = try TestKeys.key(forKid: opened.kid)
        let resealed = try key.seal(opened.plaintext, contentFormat: opened.contentFormat, deviceID: deviceID, sequenceNumber: opened.sequenceNumber)
        let reopened = try TestKeys.ring.open(resealed, deviceID: deviceID, now: now)
        invariant(reopened.plaintext == opened.plaintext, "a re-sealed message opens differently")
    } catch { unexpected(error, "re-sealing an opened message failed") }
}

func sealAndTamper(_ spec: ArraySlice<UInt8>) {
    guard spec.count >= 11 else { return }
    var bytes = spec.makeIterator()
    func next() -> UInt8 { bytes.next()! }
    let key = TestKeys.keys[Int(next()) % TestKeys.keys.count]
    let contentFormat = UInt16(next()) << 8 | UInt16(next())
    var sequenceNumber: UInt64 = 0
    for _ in 0..<5 { sequenceNumber = sequenceNumber << 8 | UInt64(next()) }  // at most 2^40 - 1, the format's bound
    let position = Int(next()) << 8 | Int(next())
    let mask = next() | 1  // never 0: the byte must change
    let plaintext = Array(spec.dropFirst(11))

    let message: [UInt8]
    do {
        message = try key.seal(plaintext, contentFormat: contentFormat, deviceID: deviceID, sequenceNumber: sequenceNumber)
    } catch { unexpected(error, "sealing failed") }
    do {
        let opened = try TestKeys.ring.open(message, deviceID: deviceID, now: now)
        invariant(opened.plaintext == plaintext && opened.contentFormat == contentFormat && opened.sequenceNumber == sequenceNumber
                  && opened.kid == key.kid && opened.algorithm == key.algorithm, "a sealed message opens to something else")
    } catch { unexpected(error, "a freshly sealed message does not open") }

    var tampered = message
    tampered[position % tampered.count] ^= mask
    invariant((try? TestKeys.ring.open(tampered, deviceID: deviceID, now: now)) == nil,
              "a message with byte \(position % tampered.count) changed still opens")
}
