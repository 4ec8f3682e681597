import Foundation
import XCTest
@testable import Playbook
@testable import ProvisionCore

/// Vaults made by ansible-vault 2.17.7 (ansible-core from PyPI) with the password
/// 'correct horse battery': a whole vars file, an encrypt_string value, and a 1.2 vault
/// with a vault id. They open with that password, refuse another, and what they hold is secret.
final class AnsibleVaultTests: XCTestCase {
    static let password = Secret("correct horse battery")

    /// `ansible-vault encrypt` of: db_admin_password: "s3cr3t-Adm1n/pass", site_title: Vaulted Site, ports: [80, 443]
    static let vaultedFile = """
        $ANSIBLE_VAULT;1.1;AES256
        66323634346365663138626462363335626132333732653562326634363637633133383334653162
        3934373737316233653661663838383536326133653035640a386130636639333836646639373461
        34383036303838333230633266386664303266636131353936643263666530653439366666363739
        3835613436306130630a643335366239666331653838643761626239653961333439623662643836
        63656365323833643931323161616132303333306532383136373530343733336434396138343263
        63663634636361613737313335643134356135323536666138623039343062376465386633613639
        35323636653730323363353539343837356334643462343565323064343830656333633637376139
        33313939666531653137666465386433336466643037316164356163626331386133356465373834
        3635
        """

    /// `ansible-vault encrypt_string 'inline-Pa$$word' --name mysql_pw` and
    /// `--vault-id prod@… 'labelled-secret' --name labelled`, as one vars file.
    static let inlineValues = #"""
        mysql_pw: !vault |
                  $ANSIBLE_VAULT;1.1;AES256
                  32386637386434643465356433616561616436663763346565333466333337326230336462373531
                  6334393362333963353965353066383862663063623535370a653836646463393164343861396233
                  66343036306431333563366664323732383762353638343763313561616361623836306361616433
                  6631386136363266380a366433663537323136393864646439633265366436613738363331376238
                  3164
        labelled: !vault |
                  $ANSIBLE_VAULT;1.2;AES256;prod
                  61653139383138623732616366656163623339363265386431666563663430346433616161323833
                  6230343036656466626431383065383233366265306634320a646164616639626561396532396338
                  34363131323431356566323933316233353639613661346436323231623531333566636331393134
                  3231656162636162640a363131613065326234316531616164396661653532656631323161343766
                  3833
        plain: visible
        """#

    override func tearDown() { AnsibleVault.passwords = [] }

    func testAWholeFileOpensAndEveryStringInItIsSecret() throws {
        let plaintext = try AnsibleVault.decrypt(Self.vaultedFile, passwords: [Self.password])
        XCTAssertEqual(plaintext, "db_admin_password: \"s3cr3t-Adm1n/pass\"\nsite_title: Vaulted Site\nports: [80, 443]\n")
        AnsibleVault.passwords = [Secret("wrong one"), Self.password]
        let loaded = try YAMLDocument.loadValue(text: Self.vaultedFile, file: "group_vars/all/vault.yml").value.dictValue ?? [:]
        XCTAssertEqual(loaded["db_admin_password"], .secret(Secret("s3cr3t-Adm1n/pass")))
        XCTAssertEqual(loaded["site_title"], .secret(Secret("Vaulted Site")), "a vaulted file's strings are all secret")
        XCTAssertEqual(loaded["ports"], .list([.int(80), .int(443)]))
    }

    func testInlineValuesOpenAsSecretsBesidePlainOnes() throws {
        AnsibleVault.passwords = [Self.password]
        let loaded = try YAMLDocument.loadValue(text: Self.inlineValues, file: "vars.yml").value.dictValue ?? [:]
        XCTAssertEqual(loaded["mysql_pw"], .secret(Secret("inline-Pa$$word")))
        XCTAssertEqual(loaded["labelled"], .secret(Secret("labelled-secret")), "format 1.2 with a vault id")
        XCTAssertEqual(loaded["plain"], .string("visible"))
    }

    func testNoPasswordOrTheWrongOneIsAClearErrorAtTheLine() throws {
        AnsibleVault.passwords = []
        XCTAssertThrowsError(try YAMLDocument.loadValue(text: Self.inlineValues, file: "vars.yml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("vars.yml:1: cannot read this: it is vaulted (Ansible Vault) and no vault password was given"), "\(error)")
            XCTAssertTrue("\(error)".contains("--vault-password-file"), "\(error)")
        }
        AnsibleVault.passwords = [Secret("not it")]
        XCTAssertThrowsError(try YAMLDocument.loadValue(text: Self.vaultedFile, file: "v.yml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("v.yml:1: cannot read this: no vault password given opens it (HMAC mismatch)"), "\(error)")
        }
    }

    func testATamperedVaultIsRefused() throws {
        var lines = Self.vaultedFile.split(separator: "\n").map(String.init)
        lines[3] = String(lines[3].reversed())
        XCTAssertThrowsError(try AnsibleVault.decrypt(lines.joined(separator: "\n"), passwords: [Self.password]))
        XCTAssertThrowsError(try AnsibleVault.decrypt("$ANSIBLE_VAULT;1.1;AES256\nzz", passwords: [Self.password])) { error in
            XCTAssertEqual(error as? AnsibleVault.Failure, .malformed("its payload is not hex of salt, HMAC and ciphertext"))
        }
        XCTAssertThrowsError(try AnsibleVault.decrypt("$ANSIBLE_VAULT;1.0;AES\n00", passwords: [Self.password]))
    }

    /// --vault-password-file: the first line of a file, or what an executable one prints.
    func testPasswordFilesPlainAndExecutable() throws {
        let dir = NSTemporaryDirectory() + "vaultpw-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "correct horse battery  \nignored\n".write(toFile: dir + "/pw", atomically: true, encoding: .utf8)
        XCTAssertEqual(try VaultPasswordFile.read(dir + "/pw"), Self.password)
        try "#!/bin/sh\necho 'correct horse battery'\n".write(toFile: dir + "/pw.sh", atomically: true, encoding: .utf8)
        chmod(dir + "/pw.sh", 0o700)
        XCTAssertEqual(try VaultPasswordFile.read(dir + "/pw.sh"), Self.password)
        XCTAssertThrowsError(try VaultPasswordFile.read(dir + "/missing")) { XCTAssertTrue("\($0)".contains("not found"), "\($0)") }
        try "\n".write(toFile: dir + "/empty", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try VaultPasswordFile.read(dir + "/empty")) { XCTAssertTrue("\($0)".contains("is empty"), "\($0)") }
    }
}
