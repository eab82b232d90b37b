import DeviceRegistry
import Foundation
import Testing
import TestSupport

/// The behaviour every ``DeviceStore`` must have, checked on both implementations.
@Suite("DeviceStore contract")
struct DeviceStoreTests {
    enum Kind: String, CaseIterable, Sendable { case memory, sqlite }

    private func makeStore(_ kind: Kind, in directory: TemporaryDirectory) throws -> any DeviceStore {
        switch kind {
        case .memory: InMemoryDeviceStore()
        case .sqlite: try SQLiteDeviceStore(path: directory.file("store.db"))
        }
    }

    /// Registry changes are flushed to the device before they return (GRDB's pool would quietly
    /// lower `synchronous` to NORMAL on entering WAL mode if it were set in `prepareDatabase`).
    @Test func theSQLiteStoreCommitsWithFullSynchronous() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteDeviceStore(path: directory.file("store.db"))
        #expect(try store.writerSynchronousLevel() == 2)
        try store.write { try $0.insertDevice(Device(id: "dev-1")) }
        #expect(try store.writerSynchronousLevel() == 2)
    }

    @Test(arguments: Kind.allCases)
    func aFailedTransactionLeavesNoTrace(_ kind: Kind) throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(kind, in: directory)
        let before = try store.changeCounter()
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try store.write { transaction in
                try transaction.insertDevice(Device(id: "dev-1"))
                try transaction.setMetadata("k", "v")
                throw Abort()
            }
        }
        #expect(try store.read { try $0.devices() }.isEmpty)
        #expect(try store.read { try $0.metadata("k") } == nil)
        #expect(try store.changeCounter() == before)
    }

    @Test(arguments: Kind.allCases)
    func changesMoveTheCounterButAuditAppendsDoNot(_ kind: Kind) throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(kind, in: directory)
        let start = try store.changeCounter()
        try store.write { try $0.insertDevice(Device(id: "dev-1", labels: ["a": "b"])) }
        #expect(try store.changeCounter() == start + 1)
        try store.write { try $0.setMetadata("k", "v") }
        try store.recordLastSeen(["dev-1": Date()])
        #expect(try store.changeCounter() == start + 1)
        let device = try #require(try store.read { try $0.device(id: "dev-1") })
        #expect(device.labels == ["a": "b"] && device.lastSeen != nil)
    }

    @Test(arguments: Kind.allCases)
    func credentialsAreFoundByEachKey(_ kind: Kind) throws {
        let directory = try TemporaryDirectory()
        let store = try makeStore(kind, in: directory)
        try store.write { transaction in
            try transaction.insertDevice(Device(id: "dev-1"))
            try transaction.insertCredential(StoredCredential(
                credential: Credential(id: "c1", deviceID: "dev-1", kind: .psk, pskIdentity: "ident"), sealedSecret: [1, 2, 3]))
            try transaction.insertCredential(StoredCredential(
                credential: Credential(id: "c2", deviceID: "dev-1", kind: .sealing, kid: [9], algorithm: 10), sealedSecret: [4]))
            try transaction.insertCredential(StoredCredential(
                credential: Credential(id: "c3", deviceID: "dev-1", kind: .x509, fingerprint: "ff", subject: "cn"), sealedSecret: nil))
        }
        func ids(_ key: CredentialLookupKey) throws -> [String] {
            try store.read { try $0.credentials(matching: key).map(\.credential.id) }
        }
        #expect(try ids(.pskIdentity("ident")) == ["c1"])
        #expect(try ids(.kid([9])) == ["c2"])
        #expect(try ids(.fingerprint("ff")) == ["c3"])
        #expect(try ids(.subject("cn")) == ["c3"])
        #expect(try store.read { try $0.credential(id: "c1") }?.sealedSecret == [1, 2, 3])
        try store.write { try $0.deleteDevice(id: "dev-1") }
        #expect(try store.read { try $0.credentials() }.isEmpty)
    }

    @Test func aFileThatIsNotARegistryIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("not-a-db")
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        #expect {
            try SQLiteDeviceStore(path: path)
        } throws: { ($0 as? DeviceRegistryError)?.code == .storage }
    }

    @Test func aMissingDirectoryIsAClearError() {
        #expect {
            try SQLiteDeviceStore(path: "/nonexistent-dir-\(UUID().uuidString)/registry.db")
        } throws: { error in
            (error as? DeviceRegistryError)?.code == .storage && "\(error)".contains("cannot create")
        }
    }
}
