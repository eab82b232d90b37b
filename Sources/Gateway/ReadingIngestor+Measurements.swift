import CoAP
import SenML

extension ReadingIngestor {
    /// A message the commit worker refused, with its answer (its security event is recorded).
    struct RefusedReading: Error {
        var response: CoAPResponse
    }

    /// Reads a prepared message's SenML on the commit worker: the pack (at most
    /// `limits.maxRecords` records), its base names (all the device's own), self-contained
    /// measurements named under the device (relative times taken from `now`, the arrival time
    /// stored with them), and the device's allow-list applied (dropped names are counted).
    func measurements(of reading: PreparedReading, now: Double) throws(RefusedReading) -> [SenMLMeasurement] {
        let deviceID = reading.deviceID
        func refused(_ code: CoAPResponseCode, _ event: SecurityMonitor.Event, _ message: String) -> RefusedReading {
            RefusedReading(response: refuse(code, event, device: deviceID, source: reading.peer, message))
        }
        let pack: SenMLPack
        do throws(SenMLError) {
            pack = reading.format == .senmlJSON
                ? try SenMLPack(json: reading.body, maxRecords: limits.maxRecords)
                : try SenMLPack(cbor: reading.body, maxRecords: limits.maxRecords)
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
}
