// seal-bench: seal+open per second through the Sealing API, against raw OpenSSL AES-CCM through EVP,
// for 64-byte and 1 kB payloads, alternating the contenders within one run.
//
//   swift run -c release seal-bench [rounds] [iterations-per-round]

import CLibCrypto
import Foundation
import LibCrypto
import Sealing

let arguments = CommandLine.arguments
let rounds = arguments.count > 1 ? Int(arguments[1]) ?? 21 : 21
let iterations = arguments.count > 2 ? Int(arguments[2]) ?? 10_000 : 10_000

/// Consumes results so the optimizer cannot drop the work.
nonisolated(unsafe) var sink = 0

// MARK: Contender 1: Sealing API (Sealer + KeyRing, default alg 10 = AES-CCM-16-64-128)

final class SealingContender {
    let sealer: Sealer
    let ring: KeyRing
    let plaintext: [UInt8]

    init(payloadSize: Int) throws {
        let secret = try DeviceSecret(bytes: SecureBytes(Array(repeating: 0x42, count: 32)))
        let key = try secret.deriveKey(kid: [0x01], algorithm: .aesCCM16_64_128)
        sealer = try Sealer(key: key, deviceID: "bench-device", sequenceNumbers: InMemorySequenceNumberSource())
        ring = KeyRing()
        try ring.add(key, deviceID: "bench-device")
        plaintext = (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0) }
    }

    func run(_ count: Int) throws {
        for _ in 0..<count {
            let message = try sealer.seal(plaintext, contentFormat: 112)
            let opened = try ring.openAndRecord(message, deviceID: "bench-device")
            sink &+= opened.plaintext.count
        }
    }
}

// MARK: Contender 2: raw EVP AES-128-CCM, 13-byte nonce, 8-byte tag

final class RawCCMContender {
    let cipher: OpaquePointer
    let context: OpaquePointer
    /// Used only when `keepKey`: OpenSSL's CCM picks its block function by direction when the key
    /// is set, so a kept key needs one context per direction (as AEADCipher does).
    let decryptContext: OpaquePointer
    let key: [UInt8] = Array(repeating: 0x17, count: 16)
    let aad: [UInt8] = Array(repeating: 0xA5, count: 36)   // about the size of our Enc_structure
    let plaintext: [UInt8]
    var ciphertext: [UInt8]
    var decrypted: [UInt8]
    var tag = [UInt8](repeating: 0, count: 8)
    var nonce = [UInt8](repeating: 0, count: 13)
    var counter: UInt64 = 0
    /// If true, the key is set once and each operation only sets the nonce (as our AEADCipher does);
    /// if false, every operation re-initialises cipher, sizes and key (the common way to call EVP).
    let keepKey: Bool

    init(payloadSize: Int, keepKey: Bool) {
        cipher = EVP_CIPHER_fetch(nil, "AES-128-CCM", nil)
        context = EVP_CIPHER_CTX_new()
        decryptContext = EVP_CIPHER_CTX_new()
        plaintext = (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0) }
        ciphertext = Array(repeating: 0, count: payloadSize)
        decrypted = Array(repeating: 0, count: payloadSize)
        self.keepKey = keepKey
        if keepKey {
            check(EVP_EncryptInit_ex(context, cipher, nil, nil, nil))
            check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_IVLEN, 13, nil))
            check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, 8, nil))
            check(EVP_EncryptInit_ex(context, nil, nil, key, nil))
            check(EVP_DecryptInit_ex(decryptContext, cipher, nil, nil, nil))
            check(EVP_CIPHER_CTX_ctrl(decryptContext, EVP_CTRL_AEAD_SET_IVLEN, 13, nil))
            check(EVP_CIPHER_CTX_ctrl(decryptContext, EVP_CTRL_AEAD_SET_TAG, 8, nil))
            check(EVP_DecryptInit_ex(decryptContext, nil, nil, key, nil))
        }
    }

    deinit {
        EVP_CIPHER_CTX_free(context)
        EVP_CIPHER_CTX_free(decryptContext)
        EVP_CIPHER_free(cipher)
    }

    func check(_ result: Int32, line: Int = #line) {
        if result != 1 {
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(ERR_get_error(), &text, 256)
            let message = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            fatalError("EVP call failed at line \(line) (keepKey: \(keepKey)): \(message)")
        }
    }

    func run(_ count: Int) {
        let n = Int32(plaintext.count)
        var length: Int32 = 0
        for _ in 0..<count {
            counter += 1
            withUnsafeBytes(of: counter.bigEndian) { nonce.replaceSubrange(5..<13, with: $0) }
            // Encrypt
            if keepKey {
                check(EVP_EncryptInit_ex(context, nil, nil, nil, nonce))
            } else {
                check(EVP_EncryptInit_ex(context, cipher, nil, nil, nil))
                check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_IVLEN, 13, nil))
                check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, 8, nil))
                check(EVP_EncryptInit_ex(context, nil, nil, key, nonce))
            }
            check(EVP_EncryptUpdate(context, nil, &length, nil, n))
            check(EVP_EncryptUpdate(context, nil, &length, aad, Int32(aad.count)))
            ciphertext.withUnsafeMutableBufferPointer { out in
                check(EVP_EncryptUpdate(context, out.baseAddress, &length, plaintext, n))
                check(EVP_EncryptFinal_ex(context, out.baseAddress! + Int(length), &length))
            }
            check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, 8, &tag))
            // Decrypt
            let dctx = keepKey ? decryptContext : context
            if keepKey {
                check(EVP_CIPHER_CTX_ctrl(dctx, EVP_CTRL_AEAD_SET_TAG, 8, &tag))
                check(EVP_DecryptInit_ex(dctx, nil, nil, nil, nonce))
            } else {
                check(EVP_DecryptInit_ex(dctx, cipher, nil, nil, nil))
                check(EVP_CIPHER_CTX_ctrl(dctx, EVP_CTRL_AEAD_SET_IVLEN, 13, nil))
                check(EVP_CIPHER_CTX_ctrl(dctx, EVP_CTRL_AEAD_SET_TAG, 8, &tag))
                check(EVP_DecryptInit_ex(dctx, nil, nil, key, nonce))
            }
            check(EVP_DecryptUpdate(dctx, nil, &length, nil, n))
            check(EVP_DecryptUpdate(dctx, nil, &length, aad, Int32(aad.count)))
            decrypted.withUnsafeMutableBufferPointer { out in
                check(EVP_DecryptUpdate(dctx, out.baseAddress, &length, ciphertext, n))
            }
            sink &+= Int(decrypted[0])
        }
    }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let elapsed = try clock.measure(body)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// Per-round timings of the three contenders on one payload size. Each round runs them back to
/// back, so a noisy neighbour slows all three alike; the ratio reported is the median of the
/// per-round ratios, and the rates are medians too.
struct Row {
    let size: Int
    var sealing: [Double] = []
    var rawPerOp: [Double] = []
    var rawKeyKept: [Double] = []
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

// `SEAL_BENCH_PROFILE=1` runs only the Sealing contender, for a profiler.
if ProcessInfo.processInfo.environment["SEAL_BENCH_PROFILE"] == "1" {
    let sealing = try SealingContender(payloadSize: 64)
    try sealing.run(rounds * iterations)
    exit(0)
}

var rows: [Row] = []
for size in [64, 1024] {
    let sealing = try SealingContender(payloadSize: size)
    let rawPerOp = RawCCMContender(payloadSize: size, keepKey: false)
    let rawKeyKept = RawCCMContender(payloadSize: size, keepKey: true)
    // Warm up.
    try sealing.run(2_000)
    rawPerOp.run(2_000)
    rawKeyKept.run(2_000)
    var row = Row(size: size)
    for _ in 0..<rounds {
        row.sealing.append(try seconds { try sealing.run(iterations) })
        row.rawPerOp.append(seconds { rawPerOp.run(iterations) })
        row.rawKeyKept.append(seconds { rawKeyKept.run(iterations) })
    }
    rows.append(row)
}

func rate(_ times: [Double]) -> String { String(format: "%.0f", Double(iterations) / median(times)) }
func ratio(_ raw: [Double], _ ours: [Double]) -> String {
    String(format: "%.2f×", median(zip(raw, ours).map { $0 / $1 }))
}
print("seal+open per second (median of \(rounds) alternating rounds of \(iterations)), AES-CCM-16-64-128")
print("")
print("| payload | Sealing API (seal+open) | raw EVP CCM, init per op | ratio | raw EVP CCM, key kept | ratio |")
print("| --- | --- | --- | --- | --- | --- |")
for row in rows {
    print("| \(row.size) B | \(rate(row.sealing)) | \(rate(row.rawPerOp)) | \(ratio(row.rawPerOp, row.sealing)) "
        + "| \(rate(row.rawKeyKept)) | \(ratio(row.rawKeyKept, row.sealing)) |")
}
if sink == 42 { print("") }
