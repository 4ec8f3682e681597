# The same escaping provision's php_string filter does: a PHP single-quoted literal.
def php_string(value):
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class FilterModule(object):
    def filters(self):
        return {"php_string": php_string}
