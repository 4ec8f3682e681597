import Foundation

/// `ansible_default_ipv4` from what the kernel publishes, read by shell builtins in the
/// facts round trip (no `ip` process): the default route in /proc/net/route (interface,
/// gateway) and the host's own addresses in /proc/net/fib_trie (the `/32 host LOCAL`
/// entries); the address is the one inside a subnet routed on the default interface.
enum DefaultIPv4 {
    /// `route`: /proc/net/route's lines; `trie`: fib_trie's lines up to `Local:`.
    static func parse(route: [String], trie: [String], macaddress: String?) -> [String: String] {
        let routes = route.map { $0.split(whereSeparator: { $0 == "\t" || $0 == " " }).map(String.init) }
            .filter { $0.count >= 8 && $0[0] != "Iface" }
        guard let fallback = routes.first(where: { $0[1] == "00000000" && $0[7] == "00000000" }) else { return [:] }
        let interface = fallback[0]
        var facts = ["interface": interface]
        if let gateway = address(hex: fallback[2]), gateway != "0.0.0.0" { facts["gateway"] = gateway }
        if let macaddress, !macaddress.isEmpty { facts["macaddress"] = macaddress }
        // The subnets on the default interface, and the host's local addresses.
        let subnets = routes.filter { $0[0] == interface && $0[7] != "00000000" }
            .compactMap { r -> (network: UInt32, mask: UInt32)? in
                guard let n = value(hex: r[1]), let m = value(hex: r[7]) else { return nil }
                return (n, m)
            }
        var locals: [UInt32] = []
        var last: UInt32?
        for line in trie.map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("|-- ") { last = dotted(String(line.dropFirst(4))) }
            else if line.hasPrefix("/32 host LOCAL"), let a = last { locals.append(a) }
        }
        for subnet in subnets {
            guard let mine = locals.first(where: { $0 & subnet.mask == subnet.network & subnet.mask }) else { continue }
            let prefix = subnet.mask.nonzeroBitCount
            facts["address"] = text(mine)
            facts["prefix"] = String(prefix)
            facts["netmask"] = text(subnet.mask)
            facts["network"] = text(subnet.network & subnet.mask)
            facts["broadcast"] = text((subnet.network & subnet.mask) | ~subnet.mask)
            break
        }
        return facts
    }

    /// /proc/net/route prints each address as a host-order word of its network-order bytes
    /// (on the little-endian hosts EC2 runs: x86_64, arm64): swapped, it reads a.b.c.d.
    static func value(hex: String) -> UInt32? { UInt32(hex, radix: 16)?.byteSwapped }

    static func address(hex: String) -> String? { value(hex: hex).map(text) }

    static func dotted(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 < 256 }) else { return nil }
        return parts.reduce(0) { $0 << 8 | $1 }
    }

    static func text(_ value: UInt32) -> String { (0..<4).map { String(value >> (24 - 8 * UInt32($0)) & 0xff) }.joined(separator: ".") }
}
