import CoAP
import Foundation
import Platform
import SenML

/// The commit worker's reading of a prepared message's SenML (docs/senml.md): the pack (at most
/// `maxRecords` records), its base names (all the device's own), self-contained measurements
/// named under the device (relative times taken from the arrival time), and the device's
/// allow-list applied (dropped names are counted).
struct ReadingParser: Sendable {
    /// A message refused here, with its answer (its security event is recorded).
    struct Refused: Error {
        var response: CoAPResponse
    }

    let maxRecords: Int
    let refusals: Refusals
    /// Records dropped by devices' allow-lists, since start.
    let droppedByAllowList = Locked(0)

    func measurements(of reading: PreparedReading, now: Double) throws(Refused) -> [SenMLMeasurement] {
        let deviceID = reading.deviceID
        func refused(_ code: CoAPResponseCode, _ event: SecurityMonitor.Event, _ message: String) -> Refused {
            Refused(response: refusals.refuse(code, event, device: deviceID, source: reading.peer, message))
        }
        let pack: SenMLPack
        do throws(SenMLError) {
            pack = reading.format == .senmlJSON
                ? try SenMLPack(json: reading.body, maxRecords: maxRecords)
                : try SenMLPack(cbor: reading.body, maxRecords: maxRecords)
        } catch {
            if error.code == .tooManyRecords { throw refused(.requestEntityTooLarge, .oversized, error.message) }
            throw refused(.badRequest, .malformed, error.message)
        }
        for r in pack.records {
            if let bn = r.baseName, !Self.isOwn(name: bn, of: deviceID) {
                throw refused(.forbidden, .foreignBaseName, "the base name names another device")
            }
        }
        var measurements: [SenMLMeasurement]
        do { measurements = try pack.resolved(now: now) } catch {
            throw refused(.badRequest, .malformed, error.message)
        }
        // Names without a base name are the device's own; prefixed, a name must still be valid.
        for i in measurements.indices where !Self.isOwn(name: measurements[i].name, of: deviceID) {
            measurements[i].name = deviceID + "/" + measurements[i].name
            do { try SenMLPack.checkName(measurements[i].name) } catch {
                throw refused(.badRequest, .malformed, "\(error.message) once prefixed with the device id")
            }
        }
        if let allowed = reading.allowedNames {
            let before = measurements.count
            measurements.removeAll { m in
                let short = m.name.dropFirst(deviceID.count).drop { $0 == "/" || $0 == ":" }
                return !allowed.contains(String(short))
            }
            droppedByAllowList.withLock { $0 += before - measurements.count }
        }
        return measurements
    }

    /// Whether a SenML name (or base name) is the device's: its id, or its id then `/` or `:` and
    /// more (compared in place, without building the prefixes: this runs for every name of every
    /// reading).
    static func isOwn(name: String, of deviceID: String) -> Bool {
        var name = name, deviceID = deviceID
        return name.withUTF8 { n in
            deviceID.withUTF8 { d in
                guard n.count >= d.count, d.isEmpty || memcmp(n.baseAddress!, d.baseAddress!, d.count) == 0 else { return false }
                return n.count == d.count || n[d.count] == UInt8(ascii: "/") || n[d.count] == UInt8(ascii: ":")
            }
        }
    }
}
