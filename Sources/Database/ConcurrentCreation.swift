import Foundation
import ProvisionCore

/// Many instances pulling at boot run the MySQL step at the same moment against one server:
/// between one's probe ("no such database") and its CREATE, another may have created it. So
/// creation is `IF NOT EXISTS`, and the errors a concurrent creator causes on servers or
/// statements without it mean "already there", not a failure.
public enum ConcurrentCreation {
    /// ER_DB_CREATE_EXISTS: "Can't create database; database exists".
    public static let databaseExists: UInt32 = 1007
    /// ER_CANNOT_USER: "Operation CREATE USER failed for …" (the account exists).
    public static let userExists: UInt32 = 1396

    public static func createDatabase(quotedName: String, options: String) -> String {
        "CREATE DATABASE IF NOT EXISTS \(quotedName)\(options)"
    }

    public static func createUser(account: String, identified: String) -> String {
        "CREATE USER IF NOT EXISTS \(account)\(identified)"
    }

    public enum Outcome: Equatable, Sendable {
        /// This run made it.
        case created
        /// It was there already (made by a concurrent run between the probe and the create).
        case alreadyThere
    }

    /// What a CREATE's result means: warnings mean IF NOT EXISTS found it; 1007 and 1396 mean
    /// another creator won the race. Any other error is a real failure.
    public static func outcome(warnings: UInt32) -> Outcome { warnings == 0 ? .created : .alreadyThere }

    public static func outcome(of error: Error) throws -> Outcome {
        if let error = error as? DatabaseError, error.code == databaseExists || error.code == userExists { return .alreadyThere }
        throw error
    }

    /// Runs a CREATE on `client` and says whether this run made the object.
    public static func run(_ sql: String, on client: MySQLClient, secrets: [Secret] = []) throws -> Outcome {
        do {
            return outcome(warnings: try client.executeCountingWarnings(sql, secrets: secrets))
        } catch {
            return try outcome(of: error)
        }
    }
}
