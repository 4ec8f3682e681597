import Foundation
import ProvisionCore

/// AWS Secrets Manager, the two calls pull mode needs: read a secret's string, and create a
/// secret only if nobody did first (the first instance of a fleet makes the generated
/// secrets, every other one reads the same values).
public struct SecretsManagerClient: Sendable {
    let client: AWSJSONClient

    public init(region: String, credentials: AWSCredentials, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        client = try AWSJSONClient(service: .secretsManager, targetPrefix: "secretsmanager", region: region,
                                   credentials: credentials, environment: environment)
    }

    /// The secret's `SecretString`, or nil when there is no such secret.
    public func secretString(_ id: String) throws -> String? {
        do {
            let answer = try client.call("GetSecretValue", ["SecretId": id])
            guard let text = answer["SecretString"] as? String else {
                throw CloudError("secretsmanager GetSecretValue: \(id) holds no SecretString (a binary secret?)", code: "NoSecretString")
            }
            return text
        } catch let error as CloudError where error.code == "ResourceNotFoundException" {
            return nil
        }
    }

    /// Creates `name` holding `text`; false when it exists already (someone else created it
    /// first: read theirs). `token` makes a retried call idempotent.
    public func createSecret(_ name: String, _ text: String, token: String = UUID().uuidString) throws -> Bool {
        do {
            _ = try client.call("CreateSecret", ["Name": name, "SecretString": text, "ClientRequestToken": token,
                                                 "Description": "made by provision: generated secrets shared by every host"])
            return true
        } catch let error as CloudError where error.code == "ResourceExistsException" {
            return false
        }
    }
}
