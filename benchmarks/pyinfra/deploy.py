# The same job as playbooks/site.yml, for pyinfra (benchmarks/run writes the inventory.py
# with the lab's hosts and the same variables provision gets).
from io import StringIO
from pathlib import Path

from jinja2 import Environment, StrictUndefined
from pyinfra import host
from pyinfra.facts.server import Command
from pyinfra.operations import apt, files, mysql, server

data = host.data
first = host.name == data.first_web_host
mysql_login = dict(mysql_user=data.db_admin_user, mysql_password=data.db_admin_password, mysql_host=data.db_host)

# Database, user and grants: from the first web host, the one that can reach the DB.
if first:
    apt.packages(name="MySQL client", packages=["mariadb-client"], update=True, cache_time=3600, _sudo=True)
    mysql.database(name="Database", database=data.db_name, charset="utf8mb4", collate="utf8mb4_unicode_ci",
                   **mysql_login)
    mysql.user(name="User", user=data.db_user, user_hostname="%", password=data.db_password, **mysql_login)
    mysql.privileges(name="Grants", user=data.db_user, user_hostname="%", privileges=["ALL"],
                     database=data.db_name, **mysql_login)

apt.update(name="Package lists", cache_time=3600, _sudo=True)
apt.upgrade(name="All packages up to date", _sudo=True)
packages = apt.packages(
    name="Apache and PHP",
    packages=["apache2", "libapache2-mod-php", "php-mysql", "php-mbstring", "php-xml", "curl"],
    _sudo=True,
)
server.service(name="Apache running and enabled", service="apache2", running=True, enabled=True, _sudo=True)
server.service(name="restart apache", service="apache2", restarted=True, _if=packages.did_change, _sudo=True)
APACHE_CONF = """# Written by provision (playbooks/web.yml): the next run puts it back.
<Directory /var/www/html>
    DirectoryIndex index.php index.html
    AllowOverride All
</Directory>
"""
conf = files.put(name="Apache serves index.php first", src=StringIO(APACHE_CONF),
                 dest="/etc/apache2/conf-enabled/wordpress.conf", mode="644", _sudo=True)
server.service(name="restart apache (conf)", service="apache2", restarted=True, _if=conf.did_change, _sudo=True)
if not host.get_fact(Command, "test -f /var/www/html/wp-login.php && echo yes || true"):
    files.put(name="WordPress archive", src=data.wordpress_archive, dest="/tmp/wordpress.tar.gz")
    server.shell(name="WordPress unpacked", commands=[
        "tar -xzf /tmp/wordpress.tar.gz -C /var/www/html --strip-components=1",
        "chown -R www-data:www-data /var/www/html",
        "rm -f /tmp/wordpress.tar.gz",
    ], _sudo=True)


# wp-config.php from the same template, rendered on the controller with the same
# php_string filter (pyinfra's files.template takes no custom filters).
def php_string(value):
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


env = Environment(undefined=StrictUndefined, keep_trailing_newline=True)
env.filters["php_string"] = php_string
template = Path(data.template_dir, "wp-config.php.j2").read_text()
variables = {k: data.get(k) for k in ("db_name", "db_user", "db_password", "db_host", "db_port", "db_charset",
                                      "wordpress_salts", "db_table_prefix")}
files.put(name="wp-config.php", src=StringIO(env.from_string(template).render(**variables)),
          dest="/var/www/html/wp-config.php", user="root", group="www-data", mode="640", _sudo=True)
files.line(name="No site marker where none is set", path="/var/www/html/index.php",
           line='^<p class="site-marker">', present=False, _sudo=True)
