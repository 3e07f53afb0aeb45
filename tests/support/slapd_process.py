"""A real OpenLDAP server (Debian's ``slapd``) for the directory sign-in tests: its own
configuration (cn=config in a temporary slapd.d, loaded with ``slapadd``), a directory of
``dc=example,dc=org`` with people, a service account and groups, listening on a free loopback
port. Run as ``nobody`` when the tests run as root, never as the system's service; stopped and
removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.llm_servers import pick_free_port

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SUFFIX = "dc=example,dc=org"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SERVICE_DN = f"cn=docproc,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service-secret"
MATTER_CREATORS_DN = f"cn=matter-creators,{GROUPS}"
COMPLIANCE_DN = f"cn=compliance,{GROUPS}"
# uid -> (password, given name, surname, groups)
PEOPLE_ENTRIES = {
    "alice": ("alice-directory-pw", "Alice", "Archer", [MATTER_CREATORS_DN]),
    "bob": ("bob-directory-pw", "Bob", "Baker", [COMPLIANCE_DN]),
    "carol": ("carol-directory-pw", "Carol", "Cole", []),
}


def available() -> str | None:
    """None if slapd can be run here, else why not."""
    for tool in (SLAPD, SLAPADD):
        if not os.access(tool, os.X_OK):
            return f"{tool} is not installed (apt-get install slapd ldap-utils)"
    if not Path("/usr/lib/ldap/back_mdb.so").exists():
        return "slapd's mdb backend (/usr/lib/ldap/back_mdb.so) is missing"
    return None


def _config_ldif(root: Path) -> str:
    schemas = "".join(
        f"include: file:///etc/ldap/schema/{name}.ldif\n\n"
        for name in ("core", "cosine", "nis", "inetorgperson")
    )
    return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {root}/slapd.pid

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {SUFFIX}
olcDbDirectory: {root}/data
olcDbMaxSize: 16777216
olcRootDN: cn=admin,{SUFFIX}
olcRootPW: admin-secret
olcAccess: {{0}}to attrs=userPassword by self read by anonymous auth by * none
olcAccess: {{1}}to * by dn.exact="{SERVICE_DN}" read by self read by * none
"""


def _data_ldif() -> str:
    parts = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\n"
        "o: Example LLP\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: docproc\nuserPassword: {SERVICE_PASSWORD}\n",
    ]
    members: dict[str, list[str]] = {MATTER_CREATORS_DN: [], COMPLIANCE_DN: []}
    for uid, (password, given, surname, groups) in PEOPLE_ENTRIES.items():
        dn = f"uid={uid},{PEOPLE}"
        parts.append(
            f"dn: {dn}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {given} {surname}\n"
            f"givenName: {given}\nsn: {surname}\nmail: {uid}@example.org\n"
            f"userPassword: {password}\n"
        )
        for group in groups:
            members[group].append(dn)
    for group, dns in members.items():
        cn = group.split(",")[0].removeprefix("cn=")
        # groupOfNames needs a member: the service account stands in for an empty group.
        lines = "".join(f"member: {dn}\n" for dn in dns or [SERVICE_DN])
        parts.append(f"dn: {group}\nobjectClass: groupOfNames\ncn: {cn}\n{lines}")
    return "\n".join(parts)


class SlapdProcess:
    """``start()``, ``stop()`` (the directory goes down; ``start()`` again brings it back with
    the same data), ``close()`` (removes everything)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="docproc-slapd-"))
        self.port = pick_free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        config_dir, data_dir = self.root / "slapd.d", self.root / "data"
        config_dir.mkdir()
        data_dir.mkdir()
        (self.root / "config.ldif").write_text(_config_ldif(self.root))
        (self.root / "data.ldif").write_text(_data_ldif())
        for number, name in ((0, "config.ldif"), (1, "data.ldif")):
            subprocess.run(
                [SLAPADD, "-q", "-n", str(number), "-F", str(config_dir), "-l", name],
                cwd=self.root,
                check=True,
                capture_output=True,
                timeout=60,
            )
        self._user: list[str] = []
        if os.geteuid() == 0:  # never a root daemon: slapd drops to nobody
            shutil.chown(self.root, "nobody", "nogroup")
            self.root.chmod(0o755)
            for path in self.root.rglob("*"):
                shutil.chown(path, "nobody", "nogroup")
            self._user = ["-u", "nobody", "-g", "nogroup"]

    def start(self, timeout: float = 20.0) -> None:
        self.process = subprocess.Popen(
            [SLAPD, "-d", "0", "-h", f"{self.uri}/", "-F", str(self.root / "slapd.d"), *self._user],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"slapd exited with {self.process.returncode}: {error}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"slapd did not listen on {self.uri} within {timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
