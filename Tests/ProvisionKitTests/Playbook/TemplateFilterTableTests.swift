import Foundation
import XCTest
@testable import Playbook
@testable import ProvisionCore

/// The filters, tests and lookups Ansible content uses on lists, text and data, table by
/// table: template text and variables in, rendered text (or value, or error) out.
final class TemplateFilterTableTests: XCTestCase {
    let vars: [String: Value] = [
        "users": [
            ["name": "ann", "admin": true, "state": "present", "shell": "/bin/bash", "keys": ["k1", "k2"], "meta": ["uid": 1001]],
            ["name": "bob", "admin": false, "state": "absent", "keys": [], "meta": ["uid": 1002]],
            ["name": "cyd", "admin": true, "state": "present", "keys": ["k3"], "meta": ["uid": 1003]],
        ],
        "words": ["apple", "Banana", "avocado", "cherry"],
        "nums": [1, 2, 3, 4, 5],
        "nested": [1, [2, [3, [4]]], .null, "None", 5],
        "pairs": [["key": "a", "value": 1], ["key": "b", "value": 2]],
        "line": "  alpha  beta\tgamma \n",
        "csv": "a,b,,c",
        "pw": .secret(Secret("hunter2")),
        "pwlist": [.secret(Secret("s1,s2")), "plain"],
        "json_text": "{\"a\": [1, 2.5, true, null], \"b\": \"x\"}",
        "yaml_text": "a: 1\nb: [x, 'yes']\nc: {d: null}\n",
        "data": ["b": [1, 2], "a": "yes", "c": ["x": ["y": 1]], "e": "", "f": [], "n": .null],
        "version_str": "2.10.3",
    ]

    func render(_ text: String, _ extra: [String: Value] = [:]) throws -> String {
        try TemplateEngine.render(text, variables: vars.merging(extra) { $1 }).text
    }

    func value(_ text: String) throws -> Value {
        try TemplateEngine.renderValue(.string(text), variables: vars)
    }

    func testListFilters() throws {
        let cases: [(String, String)] = [
            // map: a filter by name, with its arguments; or an attribute
            ("{{ words | map('upper') | join(',') }}", "APPLE,BANANA,AVOCADO,CHERRY"),
            ("{{ words | map('replace', 'a', '4') | join(',') }}", "4pple,B4n4n4,4voc4do,cherry"),
            ("{{ ['', 'x'] | map('default', 'd', true) | join(',') }}", "d,x"),
            ("{{ ['', 'x'] | map('default', 'd') | join(',') }}", ",x"),
            ("{{ users | map(attribute='name') | join(',') }}", "ann,bob,cyd"),
            ("{{ users | map(attribute='meta.uid') | join(',') }}", "1001,1002,1003"),
            ("{{ users | map(attribute='keys.0', default='-') | join(',') }}", "k1,-,k3"),
            ("{{ users | map(attribute='shell', default='/bin/sh') | join(',') }}", "/bin/bash,/bin/sh,/bin/sh"),
            ("{{ ['1', '2'] | map('int') | sum }}", "3"),
            ("{{ {'b': 1, 'a': 2} | map('upper') | join }}", "AB"),
            // select / reject: a test by name with arguments, or truthiness
            ("{{ words | select('match', '^a') | join(',') }}", "apple,avocado"),
            ("{{ words | reject('match', '^a') | join(',') }}", "Banana,cherry"),
            ("{{ words | select('search', 'an') | join(',') }}", "Banana"),
            ("{{ nums | reject('equalto', 3) | join(',') }}", "1,2,4,5"),
            ("{{ nums | select('odd') | join(',') }}", "1,3,5"),
            ("{{ nums | select('>', 3) | join(',') }}", "4,5"),
            ("{{ nums | select('in', [2, 4]) | join(',') }}", "2,4"),
            ("{{ [0, 1, '', 'a', none, [], [0]] | select | list | length }}", "3"),
            ("{{ [0, 1, '', 'a'] | reject | list | length }}", "2"),
            ("{{ nums | select('divisibleby', 2) | map('string') | join('+') }}", "2+4"),
            // selectattr / rejectattr
            ("{{ users | selectattr('admin') | map(attribute='name') | join(',') }}", "ann,cyd"),
            ("{{ users | rejectattr('admin') | map(attribute='name') | join(',') }}", "bob"),
            ("{{ users | selectattr('state', 'eq', 'present') | map(attribute='name') | join(',') }}", "ann,cyd"),
            ("{{ users | selectattr('state', '==', 'absent') | map(attribute='name') | join(',') }}", "bob"),
            ("{{ users | selectattr('meta.uid', 'gt', 1001) | map(attribute='name') | join(',') }}", "bob,cyd"),
            ("{{ users | selectattr('shell', 'defined') | map(attribute='name') | join(',') }}", "ann"),
            ("{{ users | selectattr('shell', 'undefined') | map(attribute='name') | join(',') }}", "bob,cyd"),
            ("{{ users | rejectattr('shell', 'defined') | map(attribute='name') | join(',') }}", "bob,cyd"),
            ("{{ users | selectattr('keys') | map(attribute='name') | join(',') }}", "ann,cyd"),
            ("{{ users | selectattr('name', 'match', '^[ab]') | map(attribute='name') | join(',') }}", "ann,bob"),
            ("{{ users | selectattr('name', 'in', ['bob', 'zed']) | list | length }}", "1"),
            // flatten
            ("{{ nested | flatten | to_json }}", "[1, 2, 3, 4, 5]"),
            ("{{ nested | flatten(levels=1) | to_json }}", "[1, 2, [3, [4]], 5]"),
            ("{{ nested | flatten(1) | to_json }}", "[1, 2, [3, [4]], 5]"),
            ("{{ nested | flatten(2) | to_json }}", "[1, 2, 3, [4], 5]"),
            ("{{ nested | flatten(skip_nulls=false) | to_json }}", "[1, 2, 3, 4, null, \"None\", 5]"),
            ("{{ [['a', 'b'], 'cd'] | flatten | join(',') }}", "a,b,cd"),
            // items2dict and its inverse
            ("{{ pairs | items2dict | to_json }}", "{\"a\": 1, \"b\": 2}"),
            ("{{ [{'n': 'x', 'v': 9}] | items2dict(key_name='n', value_name='v') | to_json }}", "{\"x\": 9}"),
            ("{{ {'p': 1, 'q': 2} | dict2items | items2dict | to_json }}", "{\"p\": 1, \"q\": 2}"),
            // zip, subelements, dict()
            ("{{ [1, 2, 3] | zip(['a', 'b']) | to_json }}", "[[1, \"a\"], [2, \"b\"]]"),
            ("{{ [1, 2] | zip(['a', 'b'], ['x', 'y']) | to_json }}", "[[1, \"a\", \"x\"], [2, \"b\", \"y\"]]"),
            ("{{ [1, 2, 3] | zip_longest(['a'], fillvalue='-') | to_json }}", "[[1, \"a\"], [2, \"-\"], [3, \"-\"]]"),
            ("{{ dict(['a', 'b'] | zip([1, 2])) | to_json }}", "{\"a\": 1, \"b\": 2}"),
            ("{{ dict(port=80, host='h') | to_json }}", "{\"host\": \"h\", \"port\": 80}"),
            ("{% for u, k in users | subelements('keys') %}{{ u.name }}:{{ k }} {% endfor %}", "ann:k1 ann:k2 cyd:k3 "),
            ("{{ users | subelements('groups', skip_missing=true) | length }}", "0"),
        ]
        for (template, expected) in cases {
            XCTAssertEqual(try render(template), expected, template)
        }
    }

    func testTextFilters() throws {
        let cases: [(String, String)] = [
            // split: Python's str.split
            ("{{ csv | split(',') | to_json }}", "[\"a\", \"b\", \"\", \"c\"]"),
            ("{{ csv | split(',', 1) | to_json }}", "[\"a\", \"b,,c\"]"),
            ("{{ line | split | to_json }}", "[\"alpha\", \"beta\", \"gamma\"]"),
            ("{{ line | split(none, 1) | to_json }}", "[\"alpha\", \"beta\\tgamma \\n\"]"),
            ("{{ '' | split | to_json }} {{ '' | split(',') | to_json }} {{ '   ' | split | to_json }}", "[] [\"\"] []"),
            ("{{ 'a::b::c' | split('::') | last }}", "c"),
            ("{{ 'k=v=w'.split('=', 1) | to_json }} {{ ' x  y '.split() | to_json }}", "[\"k\", \"v=w\"] [\"x\", \"y\"]"),
            // regex_search: the match, none, or the groups asked for
            ("{{ 'server-42.example' | regex_search('[0-9]+') }}", "42"),
            ("{{ 'abc' | regex_search('[0-9]+') is none }}", "True"),
            ("{{ 'user=ann id=7' | regex_search('user=(\\\\w+) id=(\\\\d+)', '\\\\2', '\\\\1') | to_json }}", "[\"7\", \"ann\"]"),
            ("{{ 'v1.22' | regex_search('v(?P<major>\\\\d+)\\\\.(?P<minor>\\\\d+)', '\\\\g<minor>') | first }}", "22"),
            ("{{ 'Hello' | regex_search('hello') is none }} {{ 'Hello' | regex_search('hello', ignorecase=true) }}", "True Hello"),
            ("{{ 'a\\nkey: v\\n' | regex_search('^key: (.*)$', '\\\\1', multiline=true) | first }}", "v"),
            ("{{ 'a\\nkey: v\\n' | regex_search('^key') is none }}", "True"),
            // regex_findall: every match; groups as lists
            ("{{ 'a1b22c333' | regex_findall('[0-9]+') | to_json }}", "[\"1\", \"22\", \"333\"]"),
            ("{{ 'k1=v1 k2=v2' | regex_findall('(\\\\w+)=\\\\w+') | to_json }}", "[\"k1\", \"k2\"]"),
            ("{{ 'k1=v1 k2=v2' | regex_findall('(\\\\w+)=(\\\\w+)') | to_json }}", "[[\"k1\", \"v1\"], [\"k2\", \"v2\"]]"),
            ("{{ 'AbA' | regex_findall('a', ignorecase=true) | length }} {{ 'xyz' | regex_findall('q') | to_json }}", "2 []"),
            // Python patterns in match/search tests and regex_replace too
            ("{{ 'v12' is match('v(?P<n>\\\\d+)\\\\Z') }} {{ 'ab' | regex_replace('(?P<x>a)', '[\\\\g<x>]') }}", "True [a]b"),
            ("{{ 'Ab ab' | regex_replace('a', 'x', ignorecase=true) }} {{ 'a\nb' | regex_replace('^', '> ', multiline=true) }}", "xb xb > a\n> b"),
            ("{{ 'a.b' | regex_replace('\\.', '\\n') | length }} {{ 'x' | regex_replace('x', '$1') }}", "3 $1"),
            // from_json / from_yaml
            ("{{ (json_text | from_json).a[1] }} {{ (json_text | from_json).a[2] }} {{ (json_text | from_json).b }}", "2.5 True x"),
            ("{{ json_text | from_json | to_json }}", "{\"a\": [1, 2.5, true, null], \"b\": \"x\"}"),
            ("{{ '[1, 2]' | from_json | sum }}", "3"),
            ("{{ (yaml_text | from_yaml).b[1] }} {{ (yaml_text | from_yaml).a + 1 }} {{ (yaml_text | from_yaml).c.d is none }}", "yes 2 True"),
            // to_yaml / to_nice_yaml: PyYAML's layout, keys sorted, strings quoted where YAML would read them otherwise
            ("{{ data | to_yaml }}", "a: 'yes'\nb: [1, 2]\nc:\n  x: {y: 1}\ne: ''\nf: []\nn: null\n"),
            ("{{ data | to_nice_yaml }}", "a: 'yes'\nb:\n- 1\n- 2\nc:\n    x:\n        y: 1\ne: ''\nf: []\nn: null\n"),
            ("{{ ['a', 1, true, '1.5', 'x: y'] | to_yaml }}", "[a, 1, true, '1.5', 'x: y']\n"),
            ("{{ [{'name': 'a'}] | to_nice_yaml }}", "-   name: a\n"),
            ("{{ data | to_yaml | from_yaml | to_json }}", "{\"a\": \"yes\", \"b\": [1, 2], \"c\": {\"x\": {\"y\": 1}}, \"e\": \"\", \"f\": [], \"n\": null}"),
            // password_hash: crypt(3) SHA-512 (the test vector of Drepper's specification)
            ("{{ 'Hello world!' | password_hash('sha512', 'saltstring') }}",
             "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"),
            ("{{ 'Hello world!' | password_hash('sha512', salt='saltstringsaltstring', rounds=10000) }}",
             "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."),
        ]
        for (template, expected) in cases {
            XCTAssertEqual(try render(template), expected, template)
        }
        // Without a salt: a random one, so two hashes differ, and each is a valid $6$ hash of 16 salt characters.
        let a = try render("{{ 'pw' | password_hash('sha512') }}"), b = try render("{{ 'pw' | password_hash }}")
        XCTAssertNotEqual(a, b)
        for hash in [a, b] {
            XCTAssertNotNil(hash.wholeMatch(of: /\$6\$[.\/0-9A-Za-z]{16}\$[.\/0-9A-Za-z]{86}/), hash)
            let salt = String(hash.split(separator: "$")[1])
            XCTAssertEqual(try render("{{ 'pw' | password_hash('sha512', '\(salt)') }}"), hash, "the same salt gives the same hash")
        }
    }

    func testTests() throws {
        let cases: [(String, String)] = [
            ("{{ '1.10' is version('1.9', '>') }} {{ '1.10' > '1.9' }}", "True False"),
            ("{{ '1.2.3' is version('1.2.3', '==') }} {{ '1.2.3' is version('1.2.3') }} {{ '1.2' is version('1.2.0', 'lt') }}", "True True True"),
            ("{{ '2.0' is version('1.99', 'ge') }} {{ '2.0' is version('2.0', 'le') }} {{ '2.0' is version('2.0', 'ne') }}", "True True False"),
            ("{{ '2.0' is version('2.0.1', '<=') }} {{ '2.0' is version('2.0', '>=') }} {{ '2.0' is version('2.0', '!=') }}", "True True False"),
            ("{{ '2.0' is version('2.0', 'eq') }} {{ '3' is version('2.9', 'gt') }} {{ '1.0' is version('1.0.0', '<') }}", "True True True"),
            ("{{ version_str is version('2.9', operator='>=') }} {{ version_str is version_compare('2.10.10', '<') }}", "True True"),
            ("{{ '1.2.3-rc1' is version('1.2.3', '>') }} {{ '1.0a' is version('1.0b', '<') }}", "True True"),
            ("{{ 8 is version('10', '<') }} {{ '7.9.1' is not version('7.10', '>=') }}", "True True"),
            ("{{ {'failed': false} is successful }} {{ {'failed': true} is success }} {{ {'rc': 0} is succeeded }}", "True False True"),
            ("{{ 'hay needle hay' is search('needle') }} {{ 'hay needle' is match('needle') }} {{ 'abc' is regex('b') }}", "True False True"),
            ("{{ 3 is equalto(3) }} {{ 'a' is equalto('b') }} {{ 3 is eq(3) }}", "True False True"),
            ("{{ nums is contains(3) }} {{ nums is contains(9) }} {{ 'abc' is contains('b') }}", "True False True"),
            ("{{ [1, 2] is subset(nums) }} {{ [1, 9] is subset(nums) }} {{ nums is superset([5, 1]) }} {{ [1] is superset(nums) }}", "True False True False"),
            ("{{ 'yes' is truthy }} {{ '' is falsy }} {{ 0 is truthy }}", "True True False"),
            ("{{ users | selectattr('name', 'version', 'b', '>') | map(attribute='name') | join(',') }}", "bob,cyd"),
        ]
        for (template, expected) in cases {
            XCTAssertEqual(try render(template), expected, template)
        }
    }

    func testErrorsNameTheFilterAndWhatToDo() {
        let origin = SourceLocation(file: "templates/t.j2", line: 1)
        let cases: [(String, String)] = [
            ("{{ words | map('uper') }}", "templates/t.j2:1: template syntax error: map: unknown filter 'uper' (did you mean 'upper'?)"),
            ("{{ words | select('matches', 'a') }}", "templates/t.j2:1: template syntax error: select: unknown test 'matches' (did you mean 'match'?)"),
            ("{{ users | selectattr('a', 'eqq', 1) }}", "templates/t.j2:1: template syntax error: selectattr: unknown test 'eqq' (did you mean 'eq'?)"),
            ("{{ x is match('a', ignorecase=true) }}", "templates/t.j2:1: template syntax error: test 'match' takes no argument 'ignorecase' (give its arguments in order, without names)"),
            ("{{ dict([1], a=1) }}", "templates/t.j2:1: template syntax error: dict() takes either one list of [key, value] pairs or key=value arguments (e.g. dict(keys | zip(values)) or dict(name='x', port=80))"),
            ("{{ words | map(name) }}", "templates/t.j2:1: map: unknown filter 'x' (did you mean 'd'?)"),
            ("{{ words | map }}", "templates/t.j2:1: filter 'map' needs a filter name or attribute=…, e.g. map('upper') or map(attribute='name')"),
            ("\n{{ users | map(attribute='shell') | join }}", "templates/t.j2:2: map(attribute='shell'): item 2 (a mapping) has no 'shell' (give a default: map(attribute='shell', default=''), or keep the items that have it: selectattr('shell', 'defined'))"),
            ("{{ users | selectattr('shell') | list }}", "templates/t.j2:1: selectattr('shell'): item 2 (a mapping) has no 'shell' (keep the items that have it first: selectattr('shell', 'defined'))"),
            ("{{ users | selectattr }}", "templates/t.j2:1: filter 'selectattr' needs an attribute name, e.g. selectattr('enabled') or selectattr('state', 'eq', 'present')"),
            ("{{ 5 | map('upper') }}", "templates/t.j2:1: map needs a list, not a integer"),
            ("{{ 'a' | split('') }}", "templates/t.j2:1: split: the separator is empty (give a separator such as ',' or none to split on whitespace)"),
            ("{{ 'a' | regex_search('(') }}", "templates/t.j2:1: regex_search: invalid regular expression '('"),
            ("{{ 'a' | regex_search('a', 'x') }}", "templates/t.j2:1: regex_search: unknown argument 'x' (name groups as '\\\\1' or '\\\\g<name>'; ignorecase=true and multiline=true are keywords)"),
            ("{{ 'a' | regex_search('(a)', '\\\\2') }}", "templates/t.j2:1: regex_search: no group 2 (the regex has 1)"),
            ("{{ 'a' | regex_search('(a)', '\\\\g<n>') }}", "templates/t.j2:1: regex_search: the regex has no group named 'n' (name a group with (?P<n>…))"),
            ("{{ 'a' | regex_replace('(a)', '\\2') }}", "templates/t.j2:1: regex_replace: the replacement refers to group 2, but the regexp has 1"),
            ("{{ 'a' | regex_replace('a', '\\q') }}", "templates/t.j2:1: regex_replace: bad escape \\q in the replacement (write a literal backslash as '\\\\\\\\')"),
            ("{{ '{bad' | from_json }}", "templates/t.j2:1: from_json: the text is not valid JSON: '{bad' (check where it comes from, e.g. a command's stdout)"),
            ("{{ pw | from_json }}", "templates/t.j2:1: from_json: the text is not valid JSON: (a secret, not shown) (check where it comes from, e.g. a command's stdout)"),
            ("{{ [1, 'x'] | items2dict }}", "templates/t.j2:1: items2dict: item 1 is a integer, not a mapping (give a list of mappings like {'key': …, 'value': …})"),
            ("{{ [{'k': 1}] | items2dict }}", "templates/t.j2:1: items2dict: item 1 has no 'key' (name the fields with key_name='…' and value_name='…')"),
            ("{{ users | subelements('groups') }}", "templates/t.j2:1: subelements: item 1 has no 'groups' (give each item 'groups', or pass skip_missing=true)"),
            ("{{ users | subelements('shell') }}", "templates/t.j2:1: subelements: 'shell' of item 1 is a string, not a list"),
            ("{{ 'x' | password_hash('md5') }}", "templates/t.j2:1: password_hash: 'md5' is not supported (only 'sha512') (use password_hash('sha512') or password_hash('sha512', salt))"),
            ("{{ 'x' | password_hash('sha512', 'a$b') }}", "templates/t.j2:1: password_hash: the salt may hold only the characters ./0-9A-Za-z (e.g. password_hash('sha512', 'mysalt'), or no salt for a random one)"),
            ("{{ '1.0' is version('1.0', 'bigger') }}", "templates/t.j2:1: test 'version': unknown operator 'bigger' (use one of <, <=, >, >=, ==, !=, lt, le, gt, ge, eq, ne)"),
            ("{{ '1.0a' is version('1.0.1', '<') }}", "templates/t.j2:1: version: cannot compare '1.0a' with '1.0.1' ('a' against '1') (compare versions of the same shape, e.g. '1.10' with '1.9')"),
            ("{{ '1.0' is version }}", "templates/t.j2:1: test 'version' needs a version to compare with, e.g. is version('1.9', '>=')"),
            ("{{ dict(5) }}", "templates/t.j2:1: dict() needs a list of [key, value] pairs, e.g. dict(keys | zip(values))"),
            ("{{ words | uniq }}", "templates/t.j2:1: template syntax error: unknown filter 'uniq' (did you mean 'unique'?)"),
        ]
        let variables = vars.merging(["name": "x"]) { $1 }
        for (template, expected) in cases {
            XCTAssertEqual(errorText { try TemplateEngine.render(template, variables: variables, origin: origin) }, expected, template)
        }
    }

    /// Anything computed from a secret is a secret, item by item through map and select.
    func testSecretsStaySecret() throws {
        let cases: [(String, Value)] = [
            ("{{ [pw, 'x'] | map('upper') | list }}", [.secret(Secret("HUNTER2")), "X"]),
            ("{{ pwlist | map('split', ',') | list }}", [[.secret(Secret("s1")), .secret(Secret("s2"))], ["plain"]]),
            ("{{ pwlist | select('search', 's') | list }}", [.secret(Secret("s1,s2"))]),
            ("{{ [pw, 'x'] | reject('eq', 'x') | list }}", [.secret(Secret("hunter2"))]),
            // the choice of items was made with a secret: what is left is kept secret too
            ("{{ ['a', 'b'] | reject('eq', pw) | list }}", [.secret(Secret("a")), .secret(Secret("b"))]),
            ("{{ pw | split('t') }}", [.secret(Secret("hun")), .secret(Secret("er2"))]),
            ("{{ {'user': 'u', 'password': pw} | to_yaml }}", .secret(Secret("{password: hunter2, user: u}\n"))),
            ("{{ {'password': pw} | to_nice_yaml }}", .secret(Secret("password: hunter2\n"))),
            ("{{ pw | password_hash('sha512', 'saltsalt') }}", .secret(Secret("$6$saltsalt$8iYtNHxjWRl.NF6oNZ5tF.iKFlQREaXBLlSmZKP6dy9l5z3vsooWNW0/GZ6Nej73/TFug6pIPSqbJoCT6dfnj."))),
            ("{{ [{'p': pw}] | map(attribute='p') | list }}", [.secret(Secret("hunter2"))]),
            ("{{ pw | regex_search('u(n)', '\\\\1') }}", [.secret(Secret("n"))]),
            ("{{ pw | regex_findall('[a-z]') | length }}", 6),
            ("{{ ('{\"k\": \"' ~ pw ~ '\"}') | from_json }}", ["k": .secret(Secret("hunter2"))]),
            ("{{ [[pw], 'x'] | flatten }}", [.secret(Secret("hunter2")), "x"]),
            ("{{ ('a,' ~ pw) | split(',') }}", [.secret(Secret("a")), .secret(Secret("hunter2"))]),
            ("{{ ['a'] | zip([pw]) | list }}", [["a", .secret(Secret("hunter2"))]]),
        ]
        for (template, expected) in cases {
            XCTAssertEqual(try value(template), expected, template)
        }
        // The hash of a secret is kept secret: a crackable hash is not for logs.
        XCTAssertTrue(try TemplateEngine.render("{{ pw | password_hash('sha512') }}", variables: vars).containsSecret)
        XCTAssertTrue(try TemplateEngine.render("{{ [pw] | map('upper') | join }}", variables: vars).containsSecret)
        XCTAssertFalse(try TemplateEngine.render("{{ words | map('upper') | join }}", variables: vars).containsSecret)
    }

    /// What validate learns: the variables read, never the attribute or filter names inside
    /// the string arguments.
    func testAnalysisOfTheNewFilters() throws {
        let cases: [(String, [String])] = [
            ("{{ users | selectattr('admin') | map(attribute='name') | join(',') }}", ["users"]),
            ("{{ users | selectattr('state', 'eq', wanted) | list }}", ["users", "wanted"]),
            ("{{ users | map('default', fallback) | list }}", ["users", "fallback"]),
            ("{{ items | items2dict(key_name='n', value_name='v') }}", ["items"]),
            ("{{ x | regex_search('a(b)', '\\\\1', ignorecase=true) }}", ["x"]),
            ("{{ users | subelements('keys', skip_missing=true) }}", ["users"]),
            ("{{ dict(keys | zip(values)) }} {{ dict(a=port) }}", ["keys", "values", "port"]),
            ("{{ v is version(min_version, operator='>=') }}", ["v", "min_version"]),
            ("{% for u in users | rejectattr('admin') %}{{ u.name | split('.') | first }}{% endfor %}", ["users"]),
            ("{{ lookup('template', 'x.j2') }}", ["playbook_dir"]),
            ("{{ maybe | default([]) | select('match', '^a') | list }}", []),
        ]
        for (template, expected) in cases {
            let refs = try TemplateEngine.references(inTemplate: template)
            XCTAssertEqual(refs.unknown(given: []).map(\.name), expected, template)
        }
    }

    func testTemplateLookupAndRefusedLookups() throws {
        let dir = NSTemporaryDirectory() + "lookup-template-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/templates", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/role/templates", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "Hello {{ who }}!\n".write(toFile: dir + "/templates/greet.j2", atomically: true, encoding: .utf8)
        try "role {{ lookup('template', 'greet.j2') | trim }}".write(toFile: dir + "/role/templates/outer.j2", atomically: true, encoding: .utf8)
        try "pw={{ pw }}".write(toFile: dir + "/templates/secret.j2", atomically: true, encoding: .utf8)
        try "x\n{{ nope }}".write(toFile: dir + "/templates/broken.j2", atomically: true, encoding: .utf8)
        try "{{ lookup('template', 'self.j2') }}".write(toFile: dir + "/templates/self.j2", atomically: true, encoding: .utf8)
        let v: [String: Value] = ["playbook_dir": .string(dir), "who": "ann", "pw": .secret(Secret("hunter2"))]
        let cases: [(String, [String: Value], String)] = [
            ("{{ lookup('template', 'greet.j2') }}", [:], "Hello ann!\n"),
            ("{{ lookup('template', 'templates/greet.j2') }}", [:], "Hello ann!\n"),
            ("{{ lookup('template', '\(dir)/templates/greet.j2') }}", [:], "Hello ann!\n"),
            ("{{ lookup('template', 'outer.j2') }}", ["role_path": .string(dir + "/role")], "role Hello ann!"),
            ("{{ query('template', 'greet.j2', 'greet.j2') | length }}", [:], "2"),
        ]
        for (template, extra, expected) in cases {
            XCTAssertEqual(try TemplateEngine.render(template, variables: v.merging(extra) { $1 }).text, expected, template)
        }
        XCTAssertEqual(try TemplateEngine.renderValue("{{ lookup('template', 'secret.j2') }}", variables: v), .secret(Secret("pw=hunter2")))
        let origin = SourceLocation(file: "site.yml", line: 7)
        let errors: [(String, String)] = [
            ("{{ lookup('template', 'missing.j2') }}",
             "site.yml:7: lookup('template'): 'missing.j2' not found (looked in \(dir)/templates/missing.j2, \(dir)/missing.j2, \((dir as NSString).deletingLastPathComponent)/templates/missing.j2)"),
            ("{{ lookup('template', 'broken.j2') }}", "\(dir)/templates/broken.j2:2: undefined variable 'nope'"),
            ("{{ lookup('template', 'self.j2') }}", "\(dir)/templates/self.j2:1: lookup('template'): 'self.j2' nests more than 16 templates deep (a template that looks itself up never ends; look up a different file)"),
            ("{{ lookup('pipe', 'date') }}",
             "site.yml:7: lookup('pipe') is refused: it would run a shell command on the controller while a template is rendered (also by validate and the checks before a run), outside any task, check mode or no_log (run the command in a task (command: or shell:) with register:, and use its stdout; or pass the value with -e)"),
            ("{{ lookup('password', '/tmp/pw length=20') }}",
             "site.yml:7: lookup('password') is refused: it writes password files beside the playbook; provision keeps passwords in its secrets file (create the secrets file with 'provision secrets init' and read the password as a variable, e.g. {{ db_password }})"),
            ("{{ lookup('dig', 'example.com') }}", "site.yml:7: lookup('dig') is not supported (supported: env, file, template)"),
        ]
        for (template, expected) in errors {
            XCTAssertEqual(errorText { try TemplateEngine.render(template, variables: v, origin: origin) }, expected, template)
        }
    }
}
