# Stands in for the pip bootstrap script that ansible-test downloads from a
# host outside the package registries: it bootstraps pip from the
# interpreter's own ensurepip, then installs what ansible-test asked for
# (pip at its pinned version) from the package index.
import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}
ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
# The bundled pip trusts only its own CA list; use the machine's where it has one.
for bundle in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"):
    if os.path.exists(bundle):
        args = ["--cert", bundle, *args]
        break
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "-q", *args]))
