# The same job as playbooks/site.yml, for pyinfra (run with the lab's inventory.py).
from pyinfra import host
from pyinfra.facts.server import Command
from pyinfra.operations import apt, files, mysql, server

data = host.data
first = host.name == data.first_web_host

if first:
    apt.packages(name="MySQL client", packages=["mariadb-client"], update=True, cache_time=3600, _sudo=True)
    mysql.database(
        name="Database", database=data.db_name, charset="utf8mb4", collate="utf8mb4_unicode_ci",
        mysql_user=data.db_admin_user, mysql_password=data.db_admin_password, mysql_host=data.db_host,
    )
    mysql.user(
        name="User", user=data.db_user, user_hostname="%", password=data.db_password,
        mysql_user=data.db_admin_user, mysql_password=data.db_admin_password, mysql_host=data.db_host,
    )
    mysql.privileges(
        name="Grants", user=data.db_user, user_hostname="%", privileges=["ALL"], database=data.db_name,
        mysql_user=data.db_admin_user, mysql_password=data.db_admin_password, mysql_host=data.db_host,
    )

apt.update(name="Package lists", cache_time=3600, _sudo=True)
apt.upgrade(name="All packages up to date", _sudo=True)
packages = apt.packages(
    name="Apache and PHP",
    packages=["apache2", "libapache2-mod-php", "php-mysql", "php-mbstring", "php-xml", "curl"],
    _sudo=True,
)
server.service(name="Apache running", service="apache2", running=True, enabled=True,
               restarted=packages.changed, _sudo=True)
files.file(name="Placeholder page removed", path="/var/www/html/index.html", present=False, _sudo=True)
if not host.get_fact(Command, "test -f /var/www/html/wp-login.php && echo yes || true"):
    files.put(name="WordPress archive", src=data.wordpress_archive, dest="/tmp/wordpress.tar.gz")
    server.shell(name="WordPress unpacked", commands=[
        "tar -xzf /tmp/wordpress.tar.gz -C /var/www/html --strip-components=1",
        "rm -f /tmp/wordpress.tar.gz",
    ], _sudo=True)
files.directory(name="WordPress owned by the web user", path="/var/www/html", user="www-data",
                group="www-data", recursive=True, _sudo=True)
files.template(
    name="wp-config.php", src="../../templates/wp-config.php.j2", dest="/var/www/html/wp-config.php",
    user="root", group="www-data", mode="640", _sudo=True,
    php_string=lambda v: "'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'",
)
