import DeviceRegistry
import Foundation
import Testing
import TestSupport

@Suite("Master key file")
struct MasterKeyTests {
    @Test func createdWithMode0600AndNeverOverwritten() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("key")
        try DeviceRegistry.createMasterKey(at: path)
        #expect(try Fixtures.mode(path) == 0o600)
        let contents = try String(contentsOfFile: path, encoding: .utf8)
        #expect(contents.count == 65 && contents.hasSuffix("\n"))

        #expect(throws: DeviceRegistryError.self) { try DeviceRegistry.createMasterKey(at: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == contents)
    }

    @Test(arguments: [0o640, 0o604, 0o660, 0o644])
    func keysReadableByGroupOrOthersAreRefused(_ mode: Int) throws {
        let directory = try TemporaryDirectory()
        let key = directory.file("key")
        try DeviceRegistry.createMasterKey(at: key)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: key)
        do {
            _ = try DeviceRegistry(databasePath: directory.file("registry.db"), masterKeyFile: key)
            Issue.record("a key file with mode \(String(mode, radix: 8)) was accepted")
        } catch let error as DeviceRegistryError {
            #expect(error.code == .masterKey)
            #expect(error.message.contains("chmod 600"))
        }
    }

    @Test func missingAndWrongSizeKeysAreRefused() throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("registry.db")
        #expect {
            try DeviceRegistry(databasePath: database, masterKeyFile: directory.file("absent"))
        } throws: { ($0 as? DeviceRegistryError)?.code == .masterKey }

        let short = directory.file("short")
        #expect(FileManager.default.createFile(atPath: short, contents: Data(String(repeating: "ab", count: 16).utf8), attributes: [.posixPermissions: 0o600]))
        #expect {
            try DeviceRegistry(databasePath: database, masterKeyFile: short)
        } throws: { ($0 as? DeviceRegistryError)?.code == .masterKey }

        let raw = directory.file("raw")
        #expect(FileManager.default.createFile(atPath: raw, contents: Data(Fixtures.masterKey), attributes: [.posixPermissions: 0o600]))
        #expect {
            try DeviceRegistry(databasePath: database, masterKeyFile: raw)
        } throws: { ($0 as? DeviceRegistryError)?.code == .masterKey }

        // Written by hand: hex in either case, with a CRLF.
        let handWritten = directory.file("hand")
        let text = Fixtures.masterKey.map { String(format: "%02X", $0) }.joined() + "\r\n"
        #expect(FileManager.default.createFile(atPath: handWritten, contents: Data(text.utf8), attributes: [.posixPermissions: 0o400]))
        let registry = try DeviceRegistry(databasePath: database, masterKeyFile: handWritten)
        registry.close()
    }

    @Test func aKeyThatDoesNotMatchTheDatabaseIsRefused() throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("registry.db")
        let first = directory.file("first"), second = directory.file("second")
        try DeviceRegistry.createMasterKey(at: first)
        try DeviceRegistry.createMasterKey(at: second)
        let registry = try DeviceRegistry(databasePath: database, masterKeyFile: first)
        try registry.addDevice(id: "dev-1")
        registry.close()

        #expect {
            try DeviceRegistry(databasePath: database, masterKeyFile: second)
        } throws: { error in
            (error as? DeviceRegistryError)?.code == .masterKey && "\(error)".contains("does not match")
        }
        let reopened = try DeviceRegistry(databasePath: database, masterKeyFile: first)
        #expect(reopened.device("dev-1") != nil)
        reopened.close()
    }

    @Test func defaultKeyPathIsBesideTheDatabase() throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("registry.db")
        if ProcessInfo.processInfo.environment["SECURECOAP_MASTER_KEY_FILE"] == nil {
            #expect(DeviceRegistry.masterKeyPath(forDatabase: database) == database + ".master-key")
            try DeviceRegistry.createMasterKey(at: database + ".master-key")
            let registry = try DeviceRegistry(databasePath: database)
            try registry.addDevice(id: "dev-1")
            registry.close()
        }
        #expect(DeviceRegistry.masterKeyPath(forDatabase: database, explicit: "/elsewhere") == "/elsewhere")
    }

    @Test func inMemoryRegistriesNeed32ByteKeys() {
        #expect(throws: DeviceRegistryError.self) { try DeviceRegistry.inMemory(masterKey: [1, 2, 3]) }
    }
}
