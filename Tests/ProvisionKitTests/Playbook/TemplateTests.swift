import XCTest
@testable import Cloud
@testable import Database
@testable import Engine
@testable import Inventory
@testable import Modules
@testable import Playbook
@testable import ProvisionCore
@testable import Transport

final class TemplateTests: XCTestCase {
    let vars: [String: Value] = [
        "name": "World", "port": 8080, "ratio": .double(2.5), "enabled": true, "empty": "", "nothing": .null,
        "pkgs": ["httpd", "php", "mariadb"], "user": ["name": "wp", "groups": ["a", "b"]],
        "path": "/var/www/html/index.php", "pw": .secret(Secret("s3cr'et")), "family": "Debian",
        "count_str": "42", "result": ["changed": true, "rc": 0],
    ]

    func render(_ text: String, _ extra: [String: Value] = [:]) throws -> String {
        try TemplateEngine.render(text, variables: vars.merging(extra) { $1 }, origin: nil).text
    }

    func testRendering() throws {
        let cases: [(String, String)] = [
            ("plain text, no tags", "plain text, no tags"),
            ("Hello {{ name }}!", "Hello World!"),
            ("{{name}}", "World"),
            ("{{ port + 1 }} {{ port - 80 }} {{ port * 2 }} {{ port / 2 }} {{ 7 // 2 }} {{ 7 % 3 }}", "8081 8000 16160 4040.0 3 1"),
            ("{{ 'a' ~ port ~ \"b\" }}", "a8080b"),
            ("{{ (1 + 2) * 3 }}", "9"),
            ("{{ user.name }} {{ user['name'] }} {{ pkgs[0] }} {{ pkgs[-1] }} {{ user.groups[1] }}", "wp wp httpd mariadb b"),
            ("{{ enabled }} {{ nothing }}|{{ ratio }}", "True |2.5"),
            ("{{ pkgs }}", "[\"httpd\", \"php\", \"mariadb\"]"),
            ("{{ [1, 'x'] }} {{ {'k': 1} }}", "[1, \"x\"] {\"k\": 1}"),
            ("{{ 'yes' if enabled else 'no' }}", "yes"),
            ("{{ 'php' in pkgs }} {{ 'nginx' not in pkgs }} {{ 'ar' in 'bar' }} {{ 'name' in user }}", "True True True True"),
            ("{{ port == 8080 and family != 'RedHat' }} {{ not enabled or port < 10 }}", "True False"),
            ("{{ port >= 8080 }} {{ port > 8080 }} {{ 'a' < 'b' }} {{ ratio <= 2 }}", "True False True False"),
            ("{{ undefined_thing is defined }} {{ name is defined }} {{ nosuch is not defined }} {{ nothing is none }}", "False True True True"),
            ("{{ user.nosuch is defined }} {{ result is changed }} {{ result is failed }} {{ result is succeeded }}", "False True False True"),
            ("{{ 'a,b'.split(',') | join('-') }} {{ path.startswith('/var') }} {{ user.get('x', 'dflt') }}", "a-b True dflt"),
            ("{% for k, v in user.items() %}{{ k }};{% endfor %}", "groups;name;"),
            ("{{ range(3) | join(',') }}", "0,1,2"),
            ("{# a comment #}x{# another\nmultiline #}y", "xy"),
            ("{% raw %}{{ not rendered }}{% endraw %}", "{{ not rendered }}"),
            ("{% set greeting = 'hi ' ~ name %}{{ greeting }}", "hi World"),
        ]
        for (template, expected) in cases {
            XCTAssertEqual(try render(template), expected, template)
        }
    }

    func testFilters() throws {
        let cases: [(String, String)] = [
            ("{{ missing | default('fallback') }}", "fallback"),
            ("{{ missing | d('x') }}", "x"),
            ("{{ missing.deeper | default('x') }}", "x"),
            ("{{ user.nosuch | default('x') }}", "x"),
            ("{{ name | default('x') }}", "World"),
            ("{{ empty | default('x') }}|{{ empty | default('x', true) }}|{{ empty | default('x', boolean=true) }}", "|x|x"),
            ("{{ missing | default(port) }}", "8080"),
            ("{{ missing | default }}", ""),
            ("{{ name | lower }} {{ name | upper }} {{ '  pad  ' | trim }}|", "world WORLD pad|"),
            ("{{ count_str | int + 1 }} {{ 'x' | int }} {{ '3.9' | int }} {{ ratio | int }}", "43 0 3 2"),
            ("{{ 'yes' | bool }} {{ 'no' | bool }} {{ 1 | bool }} {{ port | string }}", "True False True 8080"),
            ("{{ pkgs | length }} {{ name | length }} {{ user | length }} {{ pkgs | count }}", "3 5 2 3"),
            ("{{ pkgs | join(', ') }} {{ pkgs | join }}", "httpd, php, mariadb httpdphpmariadb"),
            ("{{ path | replace('html', 'wp') }}", "/var/www/wp/index.php"),
            ("{{ user | to_json }}", "{\"groups\": [\"a\", \"b\"], \"name\": \"wp\"}"),
            ("{{ 'a\"b\\n' | to_json }}", "\"a\\\"b\\n\""),
            ("{{ \"it's here\" | quote }} {{ 'plain' | quote }} {{ '' | quote }}", "'it'\\''s here' plain ''"),
            ("{{ 'hello' | b64encode }} {{ 'aGVsbG8=' | b64decode }}", "aGVsbG8= hello"),
            ("{{ path | basename }} {{ path | dirname }} {{ 'file' | dirname }}| {{ '/' | dirname }} {{ 'a/' | basename }}|", "index.php /var/www/html | / |"),
            ("{{ 'ab12cd3' | regex_replace('[0-9]+', '#') }}", "ab#cd#"),
            ("{{ 'key=value' | regex_replace('^(\\\\w+)=(\\\\w+)$', '\\\\2=\\\\1') }}", "value=key"),
            ("{{ 'a.b' | regex_replace('\\\\.', '$') }}", "a$b"),
            ("{{ name | mandatory }}", "World"),
            ("{{ pkgs | first }} {{ pkgs | last }} {{ [3, 1, 2] | sort | join }} {{ [1, 1, 2] | unique | join }}", "httpd mariadb 123 12"),
            ("{{ [1, 2, 3] | sum }} {{ [4, 2] | min }} {{ [4, 2] | max }} {{ -3 | abs }}", "6 2 4 3"),
            ("{{ enabled | ternary('on', 'off') }} {{ {'a': 1} | combine({'b': 2}) | to_json }}", "on {\"a\": 1, \"b\": 2}"),
            ("{{ 'word' | capitalize }}", "Word"),
        ]
        for (template, expected) in cases {
            XCTAssertEqual(try render(template), expected, template)
        }
    }

    func testPHPString() throws {
        let cases: [(Value, String)] = [
            ("simple", "'simple'"),
            ("it's", #"'it\'s'"#),
            (#"back\slash"#, #"'back\\slash'"#),
            (#"end\"#, #"'end\\'"#),
            (#"\'"#, #"'\\\''"#),
            (#"dollar $x and "double""#, #"'dollar $x and "double"'"#),
            ("line1\nline2", "'line1\nline2'"),
            ("", "''"),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(try render("{{ v | php_string }}", ["v": value]), expected, value.text)
        }
        let php = try render("define('DB_PASSWORD', {{ pw | php_string }});\n$table_prefix = '{{ prefix }}';\n", ["prefix": "wp_"])
        XCTAssertEqual(php, "define('DB_PASSWORD', 's3cr\\'et');\n$table_prefix = 'wp_';\n")
    }

    func testBlocksAndWhitespace() throws {
        let cases: [(String, String)] = [
            ("{% if enabled %}on{% else %}off{% endif %}", "on"),
            ("{% if not enabled %}a{% elif port == 8080 %}b{% else %}c{% endif %}", "b"),
            ("{% if family == 'RedHat' %}a{% elif family == 'Suse' %}b{% else %}c{% endif %}", "c"),
            ("{% if missing is defined and missing %}x{% endif %}-", "-"),
            ("{% for p in pkgs %}{{ loop.index }}:{{ p }}{% if not loop.last %},{% endif %}{% endfor %}", "1:httpd,2:php,3:mariadb"),
            ("{% for p in [] %}x{% else %}none{% endfor %}", "none"),
            ("{% for p in pkgs %}{{ loop.index0 }}{{ loop.first }}{{ loop.length }} {% endfor %}", "0True3 1False3 2False3 "),
            // trim_blocks: the newline after a block tag goes; the one after {{ }} stays.
            ("{% for p in pkgs %}\n{{ p }}\n{% endfor %}\n", "httpd\nphp\nmariadb\n"),
            ("a\n  {%- if true %}\nb\n  {%- endif %}\n", "ab"),
            ("a\n{% if true %}\nb\n{% endif %}\nc", "a\nb\nc"),
            ("x   {{- name -}}   y", "xWorldy"),
            ("x {{ name }}\n y", "x World\n y"),
            ("a {#- c -#} b", "ab"),
            ("  <?php\n\t$x = '{{ name }}';\r\n  ?>  ", "  <?php\n\t$x = 'World';\r\n  ?>  "),
            ("unicode é {{ name }} ✓ {% if true %}ü{% endif %}", "unicode é World ✓ ü"),
            ("{ not a tag } {{ '}}' }} %} #}", "{ not a tag } }} %} #}"),
        ]
        for (template, expected) in cases {
            XCTAssertEqual(try render(template), expected, template)
        }
    }

    func testErrors() {
        let origin = SourceLocation(file: "templates/wp-config.php.j2", line: 1)
        let cases: [(String, String)] = [
            ("x\n{{ db_nmae }}", "templates/wp-config.php.j2:2: undefined variable 'db_nmae' (did you mean 'db_name'?)"),
            ("{{ nope }}", "templates/wp-config.php.j2:1: undefined variable 'nope'"),
            ("{{ user.nmae }}", "templates/wp-config.php.j2:1: undefined variable 'user.nmae' (did you mean 'user.name'?)"),
            ("a\nb\n{% if x %}", "templates/wp-config.php.j2:3: template syntax error: '{% if %}' is never closed (add '{% endif %}')"),
            ("{{ name | uper }}", "templates/wp-config.php.j2:1: template syntax error: unknown filter 'uper' (did you mean 'upper'?)"),
            ("{{ name is defind }}", "templates/wp-config.php.j2:1: template syntax error: unknown test 'defind' (did you mean 'defined'?)"),
            ("{{ name", "templates/wp-config.php.j2:1: template syntax error: '{{' is never closed (close it with '}}')"),
            ("{% endfor %}", "templates/wp-config.php.j2:1: template syntax error: unexpected '{% endfor %}' (no '{% for %}' is open)"),
            ("{% iff x %}", "templates/wp-config.php.j2:1: template syntax error: unknown statement 'iff' (did you mean 'if'?)"),
            ("{{ a = 1 }}", "templates/wp-config.php.j2:1: template syntax error: unexpected '=' (use '==' to compare)"),
            ("{{ 'abc }}", "templates/wp-config.php.j2:1: template syntax error: unterminated string literal (close the quote)"),
            ("\n\n{{ missing | mandatory }}", "templates/wp-config.php.j2:3: mandatory variable 'missing' is not defined"),
            ("{{ pkgs[7] }}", "templates/wp-config.php.j2:1: index 7 is out of range for pkgs (3 items)"),
            ("{{ name + 1 }}", "templates/wp-config.php.j2:1: cannot apply '+' to a string and a integer (use '~' to join text)"),
            ("{% for x in port %}{% endfor %}", "templates/wp-config.php.j2:1: cannot loop over a integer"),
        ]
        let variables = vars.merging(["db_name": "wp"]) { $1 }
        for (template, expected) in cases {
            XCTAssertEqual(errorText { try TemplateEngine.render(template, variables: variables, origin: origin) }, expected, template)
        }
        // A task argument at line 12: lines inside the text count from there.
        XCTAssertEqual(errorText { try TemplateEngine.render("{{ x }}", variables: [:], origin: SourceLocation(file: "site.yml", line: 12, column: 14)) },
                       "site.yml:12: undefined variable 'x'")
    }

    func testSecretsMarkTheResult() throws {
        let r1 = try TemplateEngine.render("password={{ pw }}", variables: vars)
        XCTAssertEqual(r1, Rendered(text: "password=s3cr'et", containsSecret: true))
        XCTAssertEqual(r1.value, .secret(Secret("password=s3cr'et")))
        let r2 = try TemplateEngine.render("user={{ user.name }}", variables: vars)
        XCTAssertEqual(r2, Rendered(text: "user=wp", containsSecret: false))
        XCTAssertTrue(try TemplateEngine.render("{{ pw | php_string }}", variables: vars).containsSecret)
        // A secret reached through another variable's template is still a secret.
        let nested: [String: Value] = ["pw": .secret(Secret("x")), "dsn": "mysql://u:{{ pw }}@h"]
        XCTAssertEqual(try TemplateEngine.renderValue("{{ dsn }}", variables: nested), .secret(Secret("mysql://u:x@h")))
        XCTAssertTrue(try TemplateEngine.render("{{ dsn }}", variables: nested).containsSecret)
    }

    func testRenderValueKeepsTypes() throws {
        let cases: [(Value, Value)] = [
            ("{{ pkgs }}", ["httpd", "php", "mariadb"]),
            ("{{ port }}", 8080),
            (" {{ port }}", " 8080"),
            ("{{ port }}/tcp", "8080/tcp"),
            ("{{ pw }}", .secret(Secret("s3cr'et"))),
            ("{{ pw | upper }}", .secret(Secret("S3CR'ET"))),
            ("pw={{ pw }}", .secret(Secret("pw=s3cr'et"))),
            (["a": "{{ name }}", "b": ["{{ enabled }}", 3]], ["a": "World", "b": [true, 3]]),
            ("no template", "no template"),
            (5, 5),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(try TemplateEngine.renderValue(input, variables: vars), expected, "\(input)")
        }
    }

    func testConditions() throws {
        let cases: [(String, Bool)] = [
            ("ansible_os_family == \"Debian\"", true),
            ("{{ ansible_os_family == 'Debian' }}", true),
            ("ansible_os_family != 'Debian'", false),
            ("enabled", true), ("not enabled", false),
            ("empty", false), ("flag_false_string", false),
            ("missing is defined", false), ("missing is not defined", true),
            ("port > 80 and 'php' in pkgs", true),
            ("result.rc == 0", true), ("result is changed", true),
            ("True", true), ("False", false),
            ("computed", true),
        ]
        let variables = vars.merging(["ansible_os_family": "Debian", "flag_false_string": "false",
                                      "computed": "{{ port == 8080 }}"]) { $1 }
        for (expr, expected) in cases {
            XCTAssertEqual(try TemplateEngine.evaluateCondition(expr, variables: variables), expected, expr)
        }
        XCTAssertEqual(errorText { try TemplateEngine.evaluateCondition("ansible_os_famly == 'Debian'", variables: ["ansible_os_family": "x"], origin: SourceLocation(file: "site.yml", line: 9)) },
                       "site.yml:9: undefined variable 'ansible_os_famly' (did you mean 'ansible_os_family'?)")
        XCTAssertEqual(errorText { try TemplateEngine.evaluateCondition("a ==", variables: [:], origin: SourceLocation(file: "site.yml", line: 9)) },
                       "site.yml:9: syntax error in condition 'a ==': expected a value, found end of expression")
    }

    func testLazyVariablesAndCycles() throws {
        let variables: [String: Value] = ["db_host": "localhost", "db_port": 3306, "db_url": "{{ db_host }}:{{ db_port }}",
                                          "url2": "mysql://{{ db_url }}", "list": ["{{ db_host }}", "x"]]
        XCTAssertEqual(try render("{{ url2 }}", variables), "mysql://localhost:3306")
        XCTAssertEqual(try render("{{ list | join(',') }}", variables), "localhost,x")
        var scope = VariableScope()
        scope.add(["a": "{{ b }}", "b": "{{ c }}", "c": "{{ a }}", "s": "{{ s }}"], at: .play,
                  locations: ["a": SourceLocation(file: "site.yml", line: 4)])
        XCTAssertEqual(errorText { try TemplateEngine.render("{{ a }}", variables: scope) },
                       "site.yml:4: variable 'a' refers to itself through b, c")
        XCTAssertEqual(errorText { try TemplateEngine.render("{{ s }}", variables: scope) },
                       "variable 's' refers to itself")
        // Registered results and facts are data, never templates.
        scope.add(["out": ["stdout": "{{ a }}"]], at: .registered)
        XCTAssertEqual(try TemplateEngine.render("{{ out.stdout }}", variables: scope).text, "{{ a }}")
    }

    func testCompiledTemplatesAreCached() throws {
        let text = "cached {{ name }} \(UUID().uuidString)"
        let before = TemplateEngine.cache.count
        _ = try render(text)
        _ = try render(text)
        XCTAssertEqual(TemplateEngine.cache.count, before + 1)
        XCTAssertNotNil(TemplateEngine.cache.template(text))
    }

    func testConcurrentRendering() throws {
        let variables = VariableScope(vars)
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            let r = try? TemplateEngine.render("{{ name }}-{{ n }}-\(i % 7)", variables: variables.adding(["n": .int(i)], at: .loop))
            XCTAssertEqual(r?.text, "World-\(i)-\(i % 7)")
        }
    }
}

final class TemplateHelpersTests: XCTestCase {
    func testLoopItems() throws {
        let scope = VariableScope(["pkgs": ["a", "b"], "one": "x", "n": 2])
        XCTAssertEqual(try TemplateEngine.loopItems("{{ pkgs }}", variables: scope), ["a", "b"])
        XCTAssertEqual(try TemplateEngine.loopItems(["{{ one }}", "{{ n }}"], variables: scope), ["x", 2])
        XCTAssertEqual(errorText { try TemplateEngine.loopItems("{{ one }}", variables: scope, origin: SourceLocation(file: "s.yml", line: 3)) },
                       "s.yml:3: loop must give a list, but it gave a string (e.g. loop: \"{{ packages }}\" where packages is a list)")
    }

    func testConditionsStopAtFirstFalse() throws {
        let scope = VariableScope(["a": true])
        XCTAssertTrue(try TemplateEngine.evaluateConditions(["a", "a == True"], variables: scope))
        // The second condition would fail (undefined) but is never evaluated.
        XCTAssertFalse(try TemplateEngine.evaluateConditions(["not a", "undefined_var"], variables: scope))
        XCTAssertTrue(try TemplateEngine.evaluateConditions([], variables: scope))
    }
}
